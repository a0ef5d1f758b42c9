import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runProbe } from '../../../server/giving/breaker.js';
import { deleteExpiredPledges } from '../../../server/giving/pledges.js';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, donate, signIn } from '../admin/helpers.js';

/** A way to make the SDK meet a 429 or a 400 naming a parameter (the emulator's fetch, wrapped). */
let inject: ((req: Request) => Response | undefined) | undefined;

describe.each(testDatabaseKinds())('payments breaker and pledges on %s', (kind) => {
  let ctx: TestContext;
  let owner: AdminClient;
  let slug: string;
  let campaignId: number;

  beforeAll(async () => {
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { CHECKOUT_RATE_LIMIT: '1000' },
      stripeApi: (emulatorFetch) => async (input, init) => {
        const req = input instanceof Request && !init ? input : new Request(input as string, init);
        return inject?.(req) ?? emulatorFetch(req);
      },
    });
    const c = await makeCampaign(ctx.db, { slug: 'year-end' });
    slug = c.slug;
    campaignId = c.id;
    owner = await signIn(ctx, 'owner@example.org', 'owner');
  });
  afterAll(async () => ctx?.close());
  beforeEach(() => {
    inject = undefined;
  });

  const post = (path: string, body: unknown) =>
    ctx.app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const checkout = (body: Record<string, unknown> = {}) =>
    post(`/api/campaigns/${slug}/checkout`, { amount: 2500, frequency: 'once', ...body });
  const progress = async () => {
    ctx.app.progressCache.invalidate(0);
    return (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as Record<string, unknown>;
  };
  const breaker = () =>
    owner.json<{ open: boolean; reason: string | null; history: { event: string; reason: string | null }[] }>('/payments');
  const closeAgain = async () => {
    ctx.emulator.setOutage('none');
    expect(await runProbe(ctx.app.deps, { force: true })).toBe('up');
    expect((await breaker()).open).toBe(false);
  };
  const stripeError = (status: number, error: Record<string, unknown>) =>
    new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', 'stripe-should-retry': 'false' } });

  it('stays closed when Stripe refuses the request itself (a 400 naming a parameter) or rate-limits (429)', async () => {
    inject = (req) =>
      new URL(req.url).pathname === '/v1/checkout/sessions'
        ? stripeError(400, { type: 'invalid_request_error', param: 'customer_email', message: 'Invalid email address: x' })
        : undefined;
    let res = await checkout({ email: 'ada@example.org' });
    expect(res.status).toBe(400);
    inject = (req) =>
      new URL(req.url).pathname === '/v1/checkout/sessions'
        ? stripeError(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' })
        : undefined;
    res = await checkout();
    expect(res.status).toBe(502);
    expect(await breaker()).toMatchObject({ open: false, history: [] });
    expect(await progress()).toMatchObject({ payments: 'up' });
  });

  it.each([
    ['server_errors', 'stripe_5xx'],
    ['unreachable', 'connection'],
    ['charges_disabled', 'charges_disabled'],
  ] as const)(
    'opens on %s (%s) for every instance, refuses checkouts without calling Stripe, and the probe closes it',
    async (outage, reason) => {
      ctx.emulator.setOutage(outage);
      const res = await checkout();
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payments_unavailable');
      const state = await breaker();
      expect(state).toMatchObject({ open: true, reason });
      expect(state.history[0]).toMatchObject({ event: 'opened', reason });
      expect(await progress()).toMatchObject({ payments: 'down' });

      // Still down: the probe keeps it open.
      expect(await runProbe(ctx.app.deps, { force: true })).toBe('down');
      const gifts = await ctx.db.selectFrom('gifts').select('id').execute();
      expect((await checkout()).status).toBe(503);
      expect(await ctx.db.selectFrom('gifts').select('id').execute()).toHaveLength(gifts.length);

      await closeAgain();
      expect((await breaker()).history[0]).toMatchObject({ event: 'closed' });
      expect(await progress()).toMatchObject({ payments: 'up' });
      expect((await checkout()).status).toBe(201);
    },
  );

  it('an owner holds it open with pledge mode, whatever the probe finds', async () => {
    expect((await owner.req('/payments', { method: 'PATCH', body: { pledgeMode: true } })).status).toBe(200);
    expect(await breaker()).toMatchObject({ open: true, reason: 'pledge_mode' });
    await runProbe(ctx.app.deps, { force: true });
    expect(await breaker()).toMatchObject({ open: true });
    expect((await checkout()).status).toBe(503);
    expect((await owner.req('/payments', { method: 'PATCH', body: { pledgeMode: false } })).status).toBe(200);
    expect(await breaker()).toMatchObject({ open: false });
    const events = (await breaker()).history.map((h) => h.event);
    expect(events.slice(0, 2)).toEqual(['pledge_mode_off', 'pledge_mode_on']);
  });

  it('collects pledges while down that never count, e-mails each pledger once when back, and the link makes a fresh Checkout', async () => {
    const before = await progress();
    // Not while payments work: give now.
    const pledge = { amount: 5000, frequency: 'once', email: 'Pat@Example.org', name: 'Pat', consent: true };
    expect((await post(`/api/campaigns/${slug}/pledges`, pledge)).status).toBe(409);

    ctx.emulator.setOutage('unreachable');
    expect((await checkout()).status).toBe(503);
    // Bad input: 4xx, nothing written.
    for (const bad of [
      { ...pledge, consent: false },
      { ...pledge, consent: undefined },
      { ...pledge, email: 'not-an-email' },
      { ...pledge, amount: 10 },
      { ...pledge, amount: 12.5 },
      { ...pledge, extra: 1 },
    ]) {
      const res = await post(`/api/campaigns/${slug}/pledges`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect(await ctx.db.selectFrom('pledges').select('id').execute()).toHaveLength(0);

    const res = await post(`/api/campaigns/${slug}/pledges`, pledge);
    expect(res.status).toBe(201);
    const { deleteAfter } = (await res.json()) as { deleteAfter: string };
    expect(deleteAfter).toBe('2027-03-05T10:00:00.000Z'); // 90 days, the default
    expect(
      (await post(`/api/campaigns/${slug}/pledges`, { ...pledge, email: 'sam@example.org', frequency: 'monthly', amount: 1500 })).status,
    ).toBe(201);

    // Pledges never count as raised, and are listed apart.
    const during = await progress();
    expect(during).toMatchObject({ raised: before.raised, donors: before.donors, payments: 'down' });
    const listed = await owner.json<{ pledges: { email: string; status: string }[]; summary: Record<string, number> }>(
      `/pledges?campaign=${slug}`,
    );
    expect(listed.pledges.map((p) => p.email).sort()).toEqual(['pat@example.org', 'sam@example.org']);
    expect(listed.summary).toMatchObject({ pledges: 2, pledged: 6500, open: 2, invited: 0, converted: 0 });
    const row = await ctx.db.selectFrom('pledges').where('email', '=', 'pat@example.org').selectAll().executeTakeFirstOrThrow();
    expect(row.consent_text).toContain('We will e-mail you once, when you can complete this gift');
    expect(row.consent_text).toContain('2027-03-05');

    // Not while down; then once, and only once.
    expect((await owner.req('/pledges/invitations', { method: 'POST' })).status).toBe(409);
    await closeAgain();
    expect(await owner.json('/pledges/invitations', { method: 'POST' })).toEqual({ queued: 2 });
    expect(await owner.json('/pledges/invitations', { method: 'POST' })).toEqual({ queued: 0 });
    await createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') }).runOnce();
    const mails = await ctx.db.selectFrom('mail_outbox').where('kind', '=', 'pledge.invite').selectAll().orderBy('to_address').execute();
    expect(mails.map((m) => m.to_address)).toEqual(['pat@example.org', 'sam@example.org']);
    const pat = mails[0]!;
    expect(pat.status).toBe('sent');
    const headers = pat.headers as Record<string, string>;
    expect(headers['List-Unsubscribe']).toMatch(/^<http:\/\/groundswell\.test\/pledge\/withdraw\?token=[A-Za-z0-9_-]{43}>$/);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const link = /http:\/\/groundswell\.test\/pledge\/complete\?token=[A-Za-z0-9_-]{43}/.exec(pat.text_body!)![0];
    const path = link.replace('http://groundswell.test', '');

    // A GET (a mail scanner) changes nothing; the button POSTs and lands on a new Checkout Session.
    const giftsBefore = (await ctx.db.selectFrom('gifts').select('id').execute()).length;
    const page = await ctx.app.request(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('$50.00');
    expect((await ctx.db.selectFrom('gifts').select('id').execute()).length).toBe(giftsBefore);
    const go = await ctx.app.request(path, { method: 'POST' });
    expect(go.status).toBe(303);
    const url = go.headers.get('location')!;
    const sessionId = /\/emulator\/checkout\/(cs_test_[A-Za-z0-9_]+)/.exec(url)![1]!;
    const session = await ctx.stripe.checkout.sessions.retrieve(sessionId);
    expect(session).toMatchObject({ amount_total: 5000, customer_email: 'pat@example.org', mode: 'payment' });
    // A second press makes another fresh session (the first may have expired).
    const again = await ctx.app.request(path, { method: 'POST' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).not.toBe(url);

    await ctx.emulator.completeCheckout(sessionId);
    await ctx.emulator.flush();
    const after = await progress();
    expect(after.raised).toBe((before.raised as number) + 5000);
    const summary = (await owner.json<{ summary: Record<string, number> }>(`/pledges?campaign=${slug}`)).summary;
    expect(summary).toMatchObject({ converted: 1, convertedAmount: 5000, invited: 2 });
    // Its link now says thank you instead of charging twice.
    const done = await ctx.app.request(path, { method: 'POST' });
    expect(done.status).toBe(409);

    // The other pledger withdraws with RFC 8058's one-click POST: the pledge and the address are gone.
    const sam = mails[1]!;
    const withdraw = /<(http:\/\/groundswell\.test\/pledge\/withdraw\?token=[^>]+)>/.exec(
      (sam.headers as Record<string, string>)['List-Unsubscribe']!,
    )![1]!;
    const w = await ctx.app.request(withdraw.replace('http://groundswell.test', ''), {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(w.status).toBe(200);
    expect(await ctx.db.selectFrom('pledges').where('email', '=', 'sam@example.org').select('id').execute()).toHaveLength(0);

    // At the deletion date, a pledge that did not become a gift is deleted; Pat's became one and stays.
    ctx.emulator.setOutage('server_errors');
    await runProbe(ctx.app.deps, { force: true });
    expect((await post(`/api/campaigns/${slug}/pledges`, { ...pledge, email: 'late@example.org' })).status).toBe(201);
    await closeAgain();
    expect(await deleteExpiredPledges(ctx.db, new Date('2027-04-01T00:00:00Z'))).toBe(1);
    expect((await ctx.db.selectFrom('pledges').select('email').execute()).map((p) => p.email)).toEqual(['pat@example.org']);
  });

  it('stretch goals: percent against the current goal, the previous one shown as reached', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'stretch', goals: [10_000, 20_000, 40_000] });
    expect(c.goal).toBe(10_000);
    const read = async () => {
      ctx.app.progressCache.invalidate(0);
      return (await (await ctx.app.request('/api/campaigns/stretch')).json()) as Record<string, unknown>;
    };
    expect(await read()).toMatchObject({ goal: 10_000, goals: [10_000, 20_000, 40_000], reachedGoal: null, percent: 0 });
    await donate(ctx, 'stretch', { amount: 12_000, email: 'a@example.org' });
    expect(await read()).toMatchObject({ total: 12_000, goal: 20_000, reachedGoal: 10_000, percent: 60 });
    await donate(ctx, 'stretch', { amount: 30_000, email: 'b@example.org' });
    expect(await read()).toMatchObject({ total: 42_000, goal: 40_000, reachedGoal: 20_000, percent: 105 });

    // Admin edits: goals must ascend; a lone goal must stay under the next stretch goal.
    for (const body of [{ goals: [20_000, 10_000] }, { goal: 25_000 }, { goal: 5000, goals: [6000, 9000] }]) {
      expect((await owner.req('/campaigns/stretch', { method: 'PATCH', body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await owner.req('/campaigns/stretch', { method: 'PATCH', body: { goals: [50_000, 90_000] } })).status).toBe(200);
    expect(await read()).toMatchObject({ goal: 50_000, goals: [50_000, 90_000], reachedGoal: null, percent: 84 });
    expect(campaignId).toBeGreaterThan(0);
  });

  it('a follow-on campaign is named once the first has ended, while the follow-on is open', async () => {
    const next = await makeCampaign(ctx.db, { slug: 'spring-drive', title: 'Spring drive' });
    expect((await owner.req('/campaigns/stretch', { method: 'PATCH', body: { followOn: 'no-such' } })).status).toBe(400);
    expect((await owner.req('/campaigns/stretch', { method: 'PATCH', body: { followOn: 'stretch' } })).status).toBe(400);
    expect((await owner.req('/campaigns/stretch', { method: 'PATCH', body: { followOn: next.slug } })).status).toBe(200);
    ctx.app.progressCache.invalidate(0);
    const p = (await (await ctx.app.request('/api/campaigns/stretch')).json()) as Record<string, unknown>;
    expect(p.followOn).toEqual({ slug: 'spring-drive', title: 'Spring drive' });
    const admin = await owner.json<{ followOnSlug: string }>('/campaigns/stretch');
    expect(admin.followOnSlug).toBe('spring-drive');
  });
});
