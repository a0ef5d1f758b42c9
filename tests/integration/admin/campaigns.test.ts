import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, donate, signIn } from './helpers.js';

const NEW_CAMPAIGN = {
  slug: 'winter-drive',
  title: 'Winter drive',
  headline: 'Keep the lights on',
  message: 'Every gift counts.',
  currency: 'eur',
  goal: 500_000,
  startsAt: '2026-11-01T00:00:00Z',
  endsAt: '2026-12-31T23:59:59Z',
  presets: [1000, 2500, 5000],
  feeRate: 0.029,
  feeFixed: 30,
  match: { ratio: 0.5, cap: 100_000 },
};

const PUBLIC_FIELDS = [
  'slug',
  'title',
  'headline',
  'message',
  'currency',
  'goal',
  'raised',
  'matched',
  'total',
  'percent',
  'donors',
  'donations',
  'startsAt',
  'endsAt',
  'status',
  'presets',
  'match',
] as const;

describe.each(testDatabaseKinds())('admin campaigns API on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    admin = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());

  const publicProgress = async (slug: string) => {
    ctx.app.progressCache.invalidate(0);
    return (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as Record<string, unknown>;
  };

  it('creates a campaign and answers with its progress and dashboard figures', async () => {
    const res = await admin.req('/campaigns', { method: 'POST', body: NEW_CAMPAIGN });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({
      slug: 'winter-drive',
      currency: 'EUR',
      goal: 500_000,
      raised: 0,
      matched: 0,
      total: 0,
      percent: 0,
      donors: 0,
      donations: 0,
      status: 'open',
      daysLeft: 27,
      refunded: 0,
      disputed: 0,
      averageGift: 0,
      monthlyDonors: 0,
      monthlyAmount: 0,
      match: { ratio: 0.5, cap: 100_000 },
      fees: { rate: '0.029', fixed: 30 },
    });
    expect(body.daily).toHaveLength(35); // Nov 1 .. Dec 5
    expect(body.daily[0]).toEqual({ date: '2026-11-01', amount: 0, gross: 0, donations: 0 });
    const pub = await publicProgress('winter-drive');
    for (const f of PUBLIC_FIELDS) expect(body[f], f).toEqual(pub[f]);
  });

  it.each([
    [{ ...NEW_CAMPAIGN, slug: 'x1', title: '' }, 'title'],
    [{ ...NEW_CAMPAIGN, slug: 'x2', endsAt: '2026-10-01T00:00:00Z' }, 'endsAt'],
    [{ ...NEW_CAMPAIGN, slug: 'x3', goal: -5 }, 'goal'],
    [{ ...NEW_CAMPAIGN, slug: 'x4', goal: 10.5 }, 'goal'],
    [{ ...NEW_CAMPAIGN, slug: 'x5', currency: 'XYZ' }, 'currency'],
    [{ ...NEW_CAMPAIGN, slug: 'x6', presets: [] }, 'presets'],
    [{ ...NEW_CAMPAIGN, slug: 'x7', startsAt: 'next tuesday' }, 'startsAt'],
    [{ ...NEW_CAMPAIGN, slug: 'Not A Slug!' }, 'slug'],
    [{ ...NEW_CAMPAIGN, slug: 'x8', owner: 'me' }, 'owner'],
    [{ ...NEW_CAMPAIGN, slug: 'x9', headline: '<b>\u202Eevil</b>' }, 'headline'],
    [{ ...NEW_CAMPAIGN, slug: 'x10', feeRate: 0.0000001 }, 'feeRate'],
    [{ ...NEW_CAMPAIGN, slug: 'x11', feeRate: '0.6' }, 'feeRate'],
    [{ ...NEW_CAMPAIGN, slug: 'x12', feeRate: '2.9%' }, 'feeRate'],
    [{ ...NEW_CAMPAIGN, slug: 'x13', match: { ratio: 0, cap: 100 } }, 'match.ratio'],
  ])('refuses an invalid campaign (%#) naming the field %s', async (body, field) => {
    const res = await admin.req('/campaigns', { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    expect(await ctx.db.selectFrom('campaigns').where('slug', 'like', 'x%').select('id').execute()).toHaveLength(0);
  });

  it('refuses a taken slug with 409 on the slug field', async () => {
    const res = await admin.req('/campaigns', { method: 'POST', body: NEW_CAMPAIGN });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'slug_taken', field: 'slug' } });
  });

  it('lists campaigns with raised, goal, percent, donors, days left and status', async () => {
    const { campaigns } = await admin.json<{ campaigns: Record<string, unknown>[] }>('/campaigns');
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]).toMatchObject({
      slug: 'winter-drive',
      raised: 0,
      goal: 500_000,
      percent: 0,
      donors: 0,
      daysLeft: 27,
      status: 'open',
    });
  });

  it('answers 404 for an unknown campaign and 400 for a malformed slug', async () => {
    expect((await admin.req('/campaigns/nope')).status).toBe(404);
    expect((await admin.req('/campaigns/nope', { method: 'PATCH', body: { title: 'x' } })).status).toBe(404);
    expect((await admin.req('/campaigns/NO%20PE!')).status).toBe(400);
  });

  it('edits a campaign, keeps an audit trail of what changed, and archives it', async () => {
    const res = await admin.req('/campaigns/winter-drive', { method: 'PATCH', body: { goal: 750_000, title: 'Winter drive 2026' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ goal: 750_000, title: 'Winter drive 2026' });
    expect(await publicProgress('winter-drive')).toMatchObject({ goal: 750_000, title: 'Winter drive 2026' });

    const bad = await admin.req('/campaigns/winter-drive', { method: 'PATCH', body: { endsAt: '2026-10-01T00:00:00Z' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'endsAt' } });
    const unknown = await admin.req('/campaigns/winter-drive', { method: 'PATCH', body: { raised: 1 } });
    expect(await unknown.json()).toMatchObject({ error: { field: 'raised' } });

    const archived = await admin.json('/campaigns/winter-drive', { method: 'PATCH', body: { archived: true } });
    expect(archived).toMatchObject({ status: 'archived' });
    expect(archived.archivedAt).toBe('2026-12-05T10:00:00.000Z');

    const { entries } = await admin.json<{ entries: any[] }>('/audit-log?entity=campaign');
    expect(entries.map((e) => e.action)).toEqual(['campaign.archive', 'campaign.update', 'campaign.create']);
    expect(entries[1]).toMatchObject({
      admin: 'ops@example.org',
      before: { goal: 500_000, title: 'Winter drive' },
      after: { goal: 750_000, title: 'Winter drive 2026' },
      at: '2026-12-05T10:00:00.000Z',
    });
    expect(Object.keys(entries[1].after).sort()).toEqual(['goal', 'title']);
    expect(entries[2].after).toMatchObject({ slug: 'winter-drive', currency: 'EUR' });
    const unarchived = await admin.json('/campaigns/winter-drive', { method: 'PATCH', body: { archived: false } });
    expect(unarchived.status).toBe('open');
  });

  it('dashboard figures equal the public progress after a mixed history', async () => {
    const slug = 'mixed';
    await admin.json('/campaigns', {
      method: 'POST',
      body: { ...NEW_CAMPAIGN, slug, currency: 'USD', goal: 100_000, match: { ratio: 1, cap: 5_000 } },
    });
    const a = await donate(ctx, slug, { amount: 2500, email: 'ada@example.org', name: 'Ada' });
    await donate(ctx, slug, { amount: 1000, email: 'ADA@example.org', name: 'Ada again', coverFees: true }); // same donor
    const b = await donate(ctx, slug, { amount: 4000, email: 'bo@example.org' });
    const c = await donate(ctx, slug, { amount: 3000, email: 'cy@example.org' });
    const d = await donate(ctx, slug, { amount: 6000, email: 'di@example.org' });
    const e = await donate(ctx, slug, { amount: 2000, email: 'ed@example.org' });
    const m = await donate(ctx, slug, { amount: 1500, frequency: 'monthly', email: 'mo@example.org', name: 'Mo' });
    await ctx.emulator.renewSubscription(m.subscription!, { paidAt: new Date('2026-12-04T09:00:00Z') });
    await ctx.emulator.refund(b.paymentIntent, 1000); // partial
    await ctx.emulator.refund(c.paymentIntent); // full
    await ctx.emulator.dispute(d.paymentIntent); // open: withheld
    const lost = await ctx.emulator.dispute(e.paymentIntent);
    await ctx.emulator.closeDispute(lost, 'lost');
    const won = await ctx.emulator.dispute(a.paymentIntent);
    await ctx.emulator.closeDispute(won, 'won');
    await ctx.emulator.flush();
    await admin.json(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 10_000, receivedAt: '2026-12-02', name: 'Cheque' },
    });
    const voided = await admin.json<{ id: string }>(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 777, receivedAt: '2026-12-03' },
    });
    await admin.json(`/offline-donations/${voided.id}`, { method: 'PATCH', body: { voided: true } });

    const dash = await admin.json(`/campaigns/${slug}`);
    const pub = await publicProgress(slug);
    for (const f of PUBLIC_FIELDS) expect(dash[f], f).toEqual(pub[f]);

    const totals = await ctx.db
      .selectFrom('campaign_totals as t')
      .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
      .where('c.slug', '=', slug)
      .selectAll('t')
      .executeTakeFirstOrThrow();
    const coverFeesCharge = (
      await ctx.db
        .selectFrom('gifts')
        .where('amount', '=', 1000)
        .where('source', '=', 'stripe')
        .select('charge_amount')
        .executeTakeFirstOrThrow()
    ).charge_amount;
    // 2500 + fee-covered 1000 + (4000-1000) + 0 + 0 (open dispute) + 0 (lost) + 1500*2 + 10000 offline
    expect(dash.raised).toBe(2500 + coverFeesCharge + 3000 + 3000 + 10_000);
    expect(dash).toMatchObject({
      refunded: totals.refunded,
      disputed: totals.disputed,
      donors: 5, // ada, bo, di (open dispute still counts), mo, the cheque
      matched: 5_000,
      monthlyDonors: 1,
      monthlyAmount: 1500,
      averageGift: Math.floor(dash.raised / dash.donations),
    });
    expect(dash.refunded).toBe(1000 + 3000);
    expect(dash.disputed).toBe(6000 + 2000);
    const series = dash.daily as { date: string; amount: number; gross: number }[];
    expect(series.reduce((s, p) => s + p.amount, 0)).toBe(dash.raised);
    expect(series.find((p) => p.date === '2026-12-02')).toMatchObject({ amount: 10_000, donations: 1 });
    expect(series.find((p) => p.date === '2026-12-04')).toMatchObject({ amount: 1500 });
    expect(series.at(-1)!.date).toBe('2026-12-05');
  });

  it('recounts renewals when the dates move, and refuses a currency change once money came in', async () => {
    const slug = 'window';
    await admin.json('/campaigns', { method: 'POST', body: { ...NEW_CAMPAIGN, slug, currency: 'USD', match: null } });
    const m = await donate(ctx, slug, { amount: 2000, frequency: 'monthly', email: 'w@example.org' });
    await ctx.emulator.renewSubscription(m.subscription!, { paidAt: new Date('2026-12-20T12:00:00Z') });
    await ctx.emulator.flush();
    expect(await publicProgress(slug)).toMatchObject({ raised: 4000, donations: 2 });

    // The renewal of Dec 20 falls outside a window that now ends on Dec 20 (half-open), while the
    // first payment (Checkout started on Dec 5) stays inside...
    const shrunk = await admin.json(`/campaigns/${slug}`, {
      method: 'PATCH',
      body: { startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-12-20T12:00:00Z' },
    });
    expect(shrunk).toMatchObject({ raised: 2000, donations: 1, status: 'open' });
    expect(await publicProgress(slug)).toMatchObject({ raised: 2000, donations: 1 });
    // ...and back inside once it is extended again.
    const extended = await admin.json(`/campaigns/${slug}`, { method: 'PATCH', body: { endsAt: '2027-01-31T00:00:00Z' } });
    expect(extended).toMatchObject({ raised: 4000, donations: 2, status: 'open' });

    const cur = await admin.req(`/campaigns/${slug}`, { method: 'PATCH', body: { currency: 'EUR' } });
    expect(cur.status).toBe(400);
    expect(await cur.json()).toMatchObject({ error: { field: 'currency' } });
    expect((await admin.req(`/campaigns/${slug}`, { method: 'PATCH', body: { currency: 'usd' } })).status).toBe(200);
  });

  it('refuses a currency change while a checkout in the old currency may still be paid', async () => {
    const slug = 'open-checkout';
    await admin.json('/campaigns', { method: 'POST', body: { ...NEW_CAMPAIGN, slug, currency: 'EUR', match: null } });
    const started = await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, frequency: 'once', email: 'late@example.org' }),
    });
    expect(started.status).toBe(201);
    const cur = await admin.req(`/campaigns/${slug}`, { method: 'PATCH', body: { currency: 'USD' } });
    expect(cur.status).toBe(400);
    expect(await cur.json()).toMatchObject({ error: { field: 'currency' } });
    // the donor pays later: the gift still counts
    await ctx.emulator.completeCheckout(((await started.json()) as { id: string }).id);
    expect(await publicProgress(slug)).toMatchObject({ raised: 2500, donations: 1, currency: 'EUR' });
  });

  it('refuses an offline gift dated in the future, and leaves voided gifts out of the daily chart', async () => {
    const slug = 'cheques';
    await admin.json('/campaigns', { method: 'POST', body: { ...NEW_CAMPAIGN, slug, currency: 'USD', match: null } });
    const future = await admin.req(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 100, receivedAt: '2099-01-01' },
    });
    expect(future.status).toBe(400);
    expect(await future.json()).toMatchObject({ error: { field: 'receivedAt' } });
    const kept = (await admin.json(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 700, receivedAt: '2026-12-02' },
    })) as { id: string };
    const voided = (await admin.json(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 300, receivedAt: '2026-12-03' },
    })) as { id: string };
    expect(kept.id).toBeTruthy();
    const moved = await admin.req(`/offline-donations/${voided.id}`, { method: 'PATCH', body: { receivedAt: '2030-01-01' } });
    expect(moved.status).toBe(400);
    await admin.json(`/offline-donations/${voided.id}`, { method: 'PATCH', body: { voided: true } });
    const dash = (await admin.json(`/campaigns/${slug}`)) as { raised: number; daily: { date: string; amount: number; gross: number }[] };
    expect(dash.raised).toBe(700);
    expect(dash.daily.reduce((s, d) => s + d.amount, 0)).toBe(700);
    expect(dash.daily.reduce((s, d) => s + d.gross, 0)).toBe(700);
  });

  it('takes goals and match caps far above the single-charge limit', async () => {
    const big = await admin.req('/campaigns', {
      method: 'POST',
      body: { ...NEW_CAMPAIGN, slug: 'capital', currency: 'HUF', goal: 50_000_000_000, match: { ratio: 1, cap: 10_000_000_000 } },
    });
    expect(big.status).toBe(201);
    expect(await big.json()).toMatchObject({ goal: 50_000_000_000, match: { cap: 10_000_000_000 } });
  });

  it('keeps fee and match rates exact: a decimal in, the same decimal out, the exact ppm stored', async () => {
    const created = await admin.json('/campaigns', {
      method: 'POST',
      body: { ...NEW_CAMPAIGN, slug: 'exact-rate', currency: 'USD', feeRate: '0.0145', match: { ratio: '0.3', cap: 1000 } },
    });
    expect(created).toMatchObject({ fees: { rate: '0.0145', fixed: 30 }, match: { ratio: 0.3, cap: 1000 } });
    const row = await ctx.db
      .selectFrom('campaigns')
      .where('slug', '=', 'exact-rate')
      .select(['fee_rate_ppm', 'match_ratio_ppm'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ fee_rate_ppm: 14_500, match_ratio_ppm: 300_000 });
    // A JSON number is read through its decimal text: 0.035 is 35_000 ppm, not 34_999.
    const edited = await admin.json('/campaigns/exact-rate', { method: 'PATCH', body: { feeRate: 0.035 } });
    expect(edited.fees.rate).toBe('0.035');
  });
});
