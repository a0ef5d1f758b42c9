import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicVariant } from '../../../common/api.js';
import { BEACONS_PER_MINUTE } from '../../../server/variants/routes.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

const NEWS = 'https://news.example';
const OWN = 'http://groundswell.test';

interface Report {
  variants: ({ id: string; name: string; control: boolean; status: string } & Record<string, any>)[];
  noVariant: Record<string, number> | null;
  funnel: {
    origins: string[];
    days: { day: string; impressions: number; opens: number; checkouts: number; paid: number; revenue: number }[];
  };
}

describe.each(testDatabaseKinds())('copy variants and the funnel on %s', (kind) => {
  let ctx: TestContext;
  let owner: AdminClient;
  let ip = 0;
  // Each test its own client address, so the per-client beacon limit is the rate-limit test's alone.
  const nextIp = () => `203.0.113.${++ip}`;

  const beacon = (slug: string, body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request(`/api/campaigns/${slug}/events`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': nextIp(), ...headers },
    });
  const counters = (campaignId: number) =>
    ctx.db
      .selectFrom('funnel_daily')
      .where('campaign_id', '=', campaignId)
      .select(['variant_id', 'origin', 'impressions', 'opens', 'checkouts'])
      .orderBy('variant_id')
      .orderBy('origin')
      .execute();
  const progressVariants = async (slug: string) =>
    ((await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { variants: PublicVariant[] }).variants;
  const addVariant = async (slug: string, body: Record<string, unknown>) => {
    const res = await owner.req(`/campaigns/${slug}/variants`, { method: 'POST', body });
    expect(res.status).toBe(201);
    const r = (await res.json()) as Report;
    return r.variants.find((v) => v.name === body.name)!;
  };

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { TRUST_PROXY: '1' } });
    owner = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());

  it('the public progress lists the active variants only, and an edit shows at once', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'progress', allowedOrigins: [NEWS] });
    expect(await progressVariants('progress')).toEqual([]);
    const a = await addVariant('progress', { name: 'Control', control: true, weight: 2 });
    const b = await addVariant('progress', { name: 'Urgent', headline: 'Only 3 days left', button: 'Give now', locale: 'en' });
    expect(await progressVariants('progress')).toEqual([
      { id: a.id, weight: 2, control: true, headline: null, message: null, button: null, locale: null },
      { id: b.id, weight: 1, control: false, headline: 'Only 3 days left', message: null, button: 'Give now', locale: 'en' },
    ]);
    const stop = await owner.req(`/campaigns/progress/variants/${b.id}`, { method: 'PATCH', body: { status: 'stopped' } });
    expect(stop.status).toBe(200);
    expect((await progressVariants('progress')).map((v) => v.id)).toEqual([a.id]);
    const log = await ctx.db.selectFrom('admin_audit_log').where('entity_id', '=', String(c.id)).select('action').orderBy('id').execute();
    expect(log.map((l) => l.action)).toEqual(['variant.create', 'variant.create', 'variant.stop']);
  });

  it('counts beacons from an allowed embedding origin and from our own pages, one row per day, variant and origin', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'beacons', allowedOrigins: [NEWS] });
    const v = await addVariant('beacons', { name: 'Short' });
    const res = await beacon(
      'beacons',
      {
        events: [
          { type: 'impression', variant: v.id, count: 3 },
          { type: 'open', variant: v.id, count: 1 },
          { type: 'impression', variant: v.id, count: 2 },
          { type: 'impression', variant: null, count: 4 },
        ],
      },
      { origin: NEWS },
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(NEWS);
    expect((await beacon('beacons', { events: [{ type: 'impression', variant: v.id, count: 1 }] }, { origin: OWN })).status).toBe(204);
    expect((await beacon('beacons', { events: [{ type: 'open', variant: v.id, count: 2 }] }, { origin: NEWS })).status).toBe(204);
    const variantId = (await ctx.db.selectFrom('campaign_variants').where('public_id', '=', v.id).select('id').executeTakeFirstOrThrow())
      .id;
    expect(await counters(c.id)).toEqual([
      { variant_id: 0, origin: NEWS, impressions: 4, opens: 0, checkouts: 0 },
      { variant_id: variantId, origin: '', impressions: 1, opens: 0, checkouts: 0 },
      { variant_id: variantId, origin: NEWS, impressions: 5, opens: 3, checkouts: 0 },
    ]);
    // The day is the organisation's calendar day (UTC here).
    const days = await ctx.db
      .selectFrom('funnel_daily')
      .where('campaign_id', '=', c.id)
      .select((eb) => eb.fn.count('day').distinct().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(days.n)).toBe(1);
  });

  it('refuses beacons from an unknown origin or without one (403), and writes nothing', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'forged', allowedOrigins: [NEWS] });
    const body = { events: [{ type: 'impression', variant: null, count: 100 }] };
    const refused: Record<string, string>[] = [
      { origin: 'https://forger.example' },
      {},
      { origin: 'null' },
      { origin: `${NEWS}.evil.example` },
    ];
    for (const headers of refused) {
      const res = await beacon('forged', body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    }
    // The preflight is not answered for a stranger either.
    const pre = await ctx.app.request('/api/campaigns/forged/events', { method: 'OPTIONS', headers: { origin: 'https://forger.example' } });
    expect(pre.status).toBe(403);
    expect(await counters(c.id)).toEqual([]);
    expect((await beacon('nope', body, { origin: NEWS })).status).toBe(404);
  });

  it('refuses malformed batches with 400 (nothing written), an oversized one with 413', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'bad-bodies', allowedOrigins: [NEWS] });
    const other = await makeCampaign(ctx.db, { slug: 'other', allowedOrigins: [NEWS] });
    void other;
    const foreign = await addVariant('other', { name: 'Not yours' });
    const one = { type: 'impression', variant: null, count: 1 };
    const bad: unknown[] = [
      'not json',
      {},
      { events: [] },
      { events: Array.from({ length: 21 }, () => one) },
      { events: [{ ...one, count: 0 }] },
      { events: [{ ...one, count: 101 }] },
      { events: [{ ...one, count: 1.5 }] },
      { events: [{ ...one, type: 'paid' }] },
      { events: [{ ...one, variant: 'vDoesNotExist' }] },
      { events: [{ ...one, variant: foreign.id }] },
      { events: [one], extra: true },
    ];
    for (const body of bad) expect((await beacon('bad-bodies', body, { origin: NEWS })).status, JSON.stringify(body)).toBe(400);
    expect((await beacon('bad-bodies', `{"events":[${'1,'.repeat(3000)}1]}`, { origin: NEWS })).status).toBe(413);
    expect(await counters(c.id)).toEqual([]);
  });

  it('limits beacon batches per client address (429 with Retry-After)', async () => {
    await makeCampaign(ctx.db, { slug: 'flood', allowedOrigins: [NEWS] });
    const body = JSON.stringify({ events: [{ type: 'impression', variant: null, count: 1 }] });
    const send = (addr: string) =>
      ctx.app.request('/api/campaigns/flood/events', {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain', origin: NEWS, 'x-forwarded-for': addr },
      });
    for (let i = 0; i < BEACONS_PER_MINUTE; i++) expect((await send('198.51.100.7')).status).toBe(204);
    const limited = await send('198.51.100.7');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await send('198.51.100.8')).status).toBe(204);
    const c = await ctx.db.selectFrom('campaigns').where('slug', '=', 'flood').select('id').executeTakeFirstOrThrow();
    expect((await counters(c.id))[0]?.impressions).toBe(BEACONS_PER_MINUTE + 1);
  });

  const checkout = (slug: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      body: JSON.stringify({ frequency: 'once', ...body }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp(), ...headers },
    });

  it('a gift records the variant and the embedding origin it came from; the checkout is counted', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'attribution', allowedOrigins: [NEWS] });
    const v = await addVariant('attribution', { name: 'Warm' });
    const cases: { headers: Record<string, string>; variant: string | undefined; want: unknown }[] = [
      { headers: { origin: NEWS }, variant: v.id, want: { variant: v.id, origin: NEWS } },
      { headers: { origin: 'https://elsewhere.example' }, variant: v.id, want: { variant: v.id, origin: '' } },
      { headers: {}, variant: 'vUnknown', want: { variant: null, origin: '' } },
      { headers: { origin: OWN }, variant: undefined, want: { variant: null, origin: '' } },
    ];
    for (const k of cases) {
      const res = await checkout('attribution', { amount: 2500, ...(k.variant && { variant: k.variant }) }, k.headers);
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const gift = await ctx.db
        .selectFrom('gifts as g')
        .leftJoin('campaign_variants as v', 'v.id', 'g.variant_id')
        .where('g.checkout_session_id', '=', id)
        .select(['v.public_id', 'g.funnel_origin'])
        .executeTakeFirstOrThrow();
      expect({ variant: gift.public_id, origin: gift.funnel_origin }).toEqual(k.want);
    }
    const rows = await counters(c.id);
    expect(rows.map((r) => [r.variant_id === 0 ? 'none' : 'v', r.origin, r.checkouts])).toEqual([
      ['none', '', 2],
      ['v', '', 1],
      ['v', NEWS, 1],
    ]);
  });

  it('counts a paid gift once however often Stripe redelivers, and a monthly gift by its first payment only', async () => {
    await makeCampaign(ctx.db, { slug: 'paid', allowedOrigins: [NEWS] });
    const v = await addVariant('paid', { name: 'Control', control: true });
    expect(
      (
        await beacon(
          'paid',
          {
            events: [
              { type: 'impression', variant: v.id, count: 10 },
              { type: 'open', variant: v.id, count: 4 },
            ],
          },
          { origin: NEWS },
        )
      ).status,
    ).toBe(204);
    const sessions: string[] = [];
    for (const [amount, frequency] of [
      [2500, 'once'],
      [1500, 'monthly'],
    ] as const) {
      const res = await checkout('paid', { amount, frequency, variant: v.id, email: 'reader@example.org' }, { origin: NEWS });
      const { id } = (await res.json()) as { id: string };
      sessions.push(id);
      await ctx.emulator.completeCheckout(id);
    }
    // A checkout started and abandoned: counted as started, never as paid.
    expect((await checkout('paid', { amount: 9900, variant: v.id }, { origin: NEWS })).status).toBe(201);
    await ctx.emulator.flush();
    const sub = await ctx.db
      .selectFrom('gifts')
      .where('checkout_session_id', '=', sessions[1]!)
      .select('subscription_id')
      .executeTakeFirstOrThrow();
    await ctx.emulator.renewSubscription(sub.subscription_id!);
    await ctx.emulator.flush();
    // Everything again, twice, in reverse order.
    const events = ctx.emulator.events();
    for (const e of [...events].reverse()) expect((await ctx.deliver(e)).status).toBe(200);
    for (const e of events) expect((await ctx.deliver(e)).status).toBe(200);

    const r = await owner.json<Report>('/campaigns/paid/variants');
    expect(r.variants[0]).toMatchObject({
      id: v.id,
      impressions: 10,
      opens: 4,
      checkouts: 3,
      paid: 2,
      revenue: 4000,
      revenueSquares: 2500 ** 2 + 1500 ** 2,
    });
    const totals = r.funnel.days.reduce((a, d) => ({ impressions: a.impressions + d.impressions, paid: a.paid + d.paid }), {
      impressions: 0,
      paid: 0,
    });
    expect(totals).toEqual({ impressions: 10, paid: 2 });
    expect(r.funnel.origins).toEqual([NEWS]);
    const filtered = await owner.json<Report['funnel']>(`/campaigns/paid/funnel?origin=direct`);
    expect(filtered.days).toEqual([]);
  });

  it('ranks by revenue per 1,000 impressions with the interval against the control (hand-computed)', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'ranking', allowedOrigins: [NEWS] });
    const control = await addVariant('ranking', { name: 'Control', control: true });
    const b = await addVariant('ranking', { name: 'Bold', headline: 'Bold' });
    const ids = new Map(
      (await ctx.db.selectFrom('campaign_variants').where('campaign_id', '=', c.id).select(['id', 'public_id']).execute()).map((r) => [
        r.public_id,
        r.id,
      ]),
    );
    // Counters as the beacons would have left them; the paid gifts through the ledger's own path.
    await ctx.db
      .insertInto('funnel_daily')
      .values([
        {
          campaign_id: c.id,
          day: '2026-12-05',
          variant_id: ids.get(control.id)!,
          origin: NEWS,
          impressions: 1000,
          opens: 100,
          checkouts: 10,
        },
        { campaign_id: c.id, day: '2026-12-05', variant_id: ids.get(b.id)!, origin: NEWS, impressions: 1000, opens: 150, checkouts: 12 },
      ])
      .execute();
    const pay = async (variant: string, amount: number) => {
      const res = await checkout('ranking', { amount, variant }, { origin: NEWS });
      await ctx.emulator.completeCheckout(((await res.json()) as { id: string }).id);
    };
    for (const a of [1000, 1000, 1000, 1000, 1000]) await pay(control.id, a);
    for (const a of [2000, 2000, 2000, 2000, 2000, 5000]) await pay(b.id, a);
    await ctx.emulator.flush();

    const r = await owner.json<Report>('/campaigns/ranking/variants');
    const [first, second] = r.variants;
    expect(first!.id).toBe(b.id);
    expect(second!.id).toBe(control.id);
    // Control: n=1000, S=5,000, Q=5,000,000 → mean 5 per impression, RPM 5,000 (= $50.00).
    // Sample variance (5e6 - 5000²/1000)/999 = 4,975,000/999 = 4980.0; var of mean 4.9800.
    // Bold: n=1000, S=15,000, Q=5·4e6 + 25e6 = 45e6 → mean 15, RPM 15,000.
    // Variance (45e6 - 15000²/1000)/999 = 44,775,000/999 = 44819.8; var of mean 44.8198.
    // Difference 10 per impression = 10,000 per 1,000; se = √(4.9800 + 44.8198) = 7.05690
    // → ±1.95996 · 7.05690 · 1000 = ±13,831.2 → [-3,831.2, 23,831.2].
    expect(second).toMatchObject({ rpm: 5000, conversion: 0.005, openRate: 0.1, diff: null, checkouts: 10 + 5 });
    expect(first!.rpm).toBe(15000);
    expect(first!.conversion).toBe(0.006);
    expect(first!.diff.estimate).toBeCloseTo(10000, 6);
    expect(first!.diff.low).toBeCloseTo(-3831.2, 0);
    expect(first!.diff.high).toBeCloseTo(23831.2, 0);
    expect(first!.enoughData).toBe(true);
  });

  it('stops a variant or keeps the winner (the others stop, the winner becomes the control); viewers only read', async () => {
    await makeCampaign(ctx.db, { slug: 'winner', allowedOrigins: [NEWS] });
    const a = await addVariant('winner', { name: 'A', control: true });
    const b = await addVariant('winner', { name: 'B', weight: 3 });
    const cc = await addVariant('winner', { name: 'C' });
    const viewer = await signIn(ctx, 'viewer@example.org', 'viewer');
    expect((await viewer.req('/campaigns/winner/variants')).status).toBe(200);
    expect((await viewer.req(`/campaigns/winner/variants/${b.id}/keep`, { method: 'POST' })).status).toBe(403);
    const kept = await owner.req(`/campaigns/winner/variants/${b.id}/keep`, { method: 'POST' });
    expect(kept.status).toBe(200);
    const r = (await kept.json()) as Report;
    const state = Object.fromEntries(r.variants.map((v) => [v.name, [v.status, v.control]]));
    expect(state).toEqual({ A: ['stopped', false], B: ['active', true], C: ['stopped', false] });
    expect((await progressVariants('winner')).map((v) => [v.id, v.control])).toEqual([[b.id, true]]);
    // A stopped variant's readers still count for a while (they keep it until they next load).
    expect((await beacon('winner', { events: [{ type: 'impression', variant: a.id, count: 1 }] }, { origin: NEWS })).status).toBe(204);
    void cc;
    // Edits are validated.
    for (const body of [{ weight: -1 }, { locale: 'xx' }, { headline: 'x'.repeat(201) }, { nope: 1 }]) {
      expect((await owner.req(`/campaigns/winner/variants/${b.id}`, { method: 'PATCH', body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await owner.req('/campaigns/winner/variants/vMissing', { method: 'PATCH', body: { weight: 1 } })).status).toBe(404);
  });
});
