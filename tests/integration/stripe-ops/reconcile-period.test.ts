import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../../server/reconcile/cli.js';
import { runReconciliation, withReconciliationLock } from '../../../server/reconcile/run.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';

const DAY = 86_400_000;
const fee = (amount: number) => Math.round(amount * 0.029) + 30; // the emulator's card pricing

/**
 * Webhooks lost for 50 days (the app checks a secret the sender does not use, as after a botched
 * rotation): the first 30 of them are beyond the events API's reach by the end, so only the
 * objects (Checkout Sessions, invoices, refunds, disputes, charges, payouts) can tell them.
 */
describe.each(testDatabaseKinds())('reconciliation of any period on %s', (kind) => {
  let ctx: TestContext;
  let sessions: { a: string; b: string; m: string; c: string };
  let payoutId: string;
  const start = new Date('2026-09-01T10:00:00Z');

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock(start), env: { STRIPE_WEBHOOK_SECRET: 'whsec_rotated_but_not_updated' } });
    await makeCampaign(ctx.db, { slug: 'long', startsAt: new Date('2026-08-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z') });
    const checkout = async (body: object) => {
      const res = await ctx.app.request('/api/campaigns/long/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const piOf = async (cs: string) => (await ctx.stripe.checkout.sessions.retrieve(cs)).payment_intent as string;

    // Day 0: two one-time gifts and a monthly one.
    const a = await checkout({ amount: 2500, frequency: 'once', email: 'a@example.org' });
    const b = await checkout({ amount: 4000, frequency: 'once', email: 'b@example.org' });
    const m = await checkout({ amount: 1000, frequency: 'monthly', email: 'm@example.org' });
    for (const cs of [a, b, m]) await ctx.emulator.completeCheckout(cs);
    const sub = (await ctx.stripe.checkout.sessions.retrieve(m)).subscription as string;
    // Day 2: part of A refunded, B disputed; day 3: the balance paid out; day 5: the dispute lost.
    ctx.clock.advance(2 * DAY);
    await ctx.emulator.refund(await piOf(a), 500);
    const dispute = await ctx.emulator.dispute(await piOf(b));
    ctx.clock.advance(DAY);
    const payouts = await ctx.emulator.payout();
    expect(payouts).toHaveLength(1);
    payoutId = payouts[0]!.id;
    ctx.clock.advance(2 * DAY);
    await ctx.emulator.closeDispute(dispute, 'lost');
    // Day 10 and day 40: renewals; day 40: a new one-time gift, refunded in part on day 50.
    ctx.clock.advance(5 * DAY);
    await ctx.emulator.renewSubscription(sub);
    ctx.clock.advance(30 * DAY);
    await ctx.emulator.renewSubscription(sub);
    const c = await checkout({ amount: 3000, frequency: 'once', email: 'c@example.org' });
    await ctx.emulator.completeCheckout(c);
    ctx.clock.advance(10 * DAY);
    await ctx.emulator.refund(await piOf(c), 1000);
    await ctx.emulator.flush();
    sessions = { a, b, m, c };
  });
  afterAll(async () => ctx?.close());

  const progress = async () => {
    ctx.app.progressCache.invalidate(0);
    return (await (await ctx.app.request('/api/campaigns/long')).json()) as { raised: number; donations: number; donors: number };
  };
  const totals = () => ctx.db.selectFrom('campaign_totals').select(['raised', 'donations', 'donors', 'refunded', 'disputed']).execute();
  const count = async (
    table: 'payments' | 'stripe_events' | 'stripe_refunds' | 'stripe_disputes' | 'stripe_balance_transactions' | 'reconciliation_runs',
  ) =>
    Number(
      (
        await ctx.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const reconcile = (dryRun = false) =>
    runReconciliation(ctx.app.deps, ctx.database, {
      since: new Date(start.getTime() - DAY),
      until: ctx.clock(),
      dryRun,
      trigger: 'cli',
      backoff: { baseMs: 1, maxMs: 5 },
    });

  it('nothing arrived, and the oldest events are beyond the events API', async () => {
    expect(await progress()).toMatchObject({ raised: 0, donations: 0 });
    const oldest = (await ctx.stripe.events.list({ limit: 100, created: { lt: Math.floor(start.getTime() / 1000) + 20 * 86_400 } })).data;
    expect(oldest).toEqual([]);
  });

  it('a dry run reports what is missing and writes nothing', async () => {
    const r = await reconcile(true);
    if (!r.ran) throw new Error('lock not taken');
    expect(r.report.objects.sessions.missing).toBe(3);
    expect(r.report.objects.refunds.missing + r.report.objects.disputes.missing).toBe(2);
    expect(r.report.events.missing).toBeGreaterThan(0);
    expect(formatReport(r.report).join('\n')).toMatch(/run again without --dry-run/);
    for (const t of [
      'payments',
      'stripe_events',
      'stripe_refunds',
      'stripe_disputes',
      'stripe_balance_transactions',
      'reconciliation_runs',
    ] as const)
      expect(await count(t)).toBe(0);
    expect(await progress()).toMatchObject({ raised: 0, donations: 0 });
  });

  it('restores the exact totals, the books included', async () => {
    const r = await reconcile();
    if (!r.ran) throw new Error('lock not taken');
    const text = formatReport(r.report).join('\n');
    expect(text).toContain(`checkout ${sessions.a}`);
    expect(text).toMatch(/Recovered \d+ fact/);
    // A 2500 − 500; B 4000 disputed and lost; M 3 × 1000; C 3000 − 1000.
    expect(await progress()).toMatchObject({ raised: 2000 + 0 + 3000 + 2000, donations: 5, donors: 3 });
    expect(await totals()).toEqual([{ raised: 7000, donations: 5, donors: 3, refunded: 1500, disputed: 4000 }]);

    // The books: A's fee and net from its balance transaction, and the payout of day 3.
    const txn = await ctx.db
      .selectFrom('stripe_balance_transactions')
      .where('type', '=', 'charge')
      .where('payment_intent_id', '=', (await ctx.stripe.checkout.sessions.retrieve(sessions.a)).payment_intent as string)
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(txn).toMatchObject({ amount: 2500, fee: fee(2500), net: 2500 - fee(2500), payout_id: payoutId });
    const run = await ctx.db.selectFrom('reconciliation_runs').selectAll().executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'ok', trigger: 'cli', recovered: r.report.recovered });
  });

  it('a second run finds nothing and changes nothing', async () => {
    const before = {
      totals: await totals(),
      payments: await count('payments'),
      refunds: await count('stripe_refunds'),
      books: await count('stripe_balance_transactions'),
    };
    const r = await reconcile();
    if (!r.ran) throw new Error('lock not taken');
    expect(r.report.recovered).toBe(0);
    expect(formatReport(r.report).join('\n')).toMatch(/Nothing missing/);
    expect({
      totals: await totals(),
      payments: await count('payments'),
      refunds: await count('stripe_refunds'),
      books: await count('stripe_balance_transactions'),
    }).toEqual(before);
  });

  it('waits and goes on when Stripe answers 429, and reads every event where delivery_success is not supported', async () => {
    let calls = 0;
    let refusedFilter = 0;
    // A Stripe-compatible server that rate-limits every other list request and knows no delivery_success.
    const flaky: typeof fetch = async (input, init) => {
      const req = input instanceof Request && !init ? input : new Request(input, init);
      const url = new URL(req.url);
      const isList = req.method === 'GET' && !/\/v1\/[a-z_/]+\/[a-z]+_/.test(url.pathname);
      if (isList && ++calls % 2 === 1)
        return Response.json({ error: { type: 'invalid_request_error', message: 'Too many requests' } }, { status: 429 });
      if (url.pathname === '/v1/events' && url.searchParams.has('delivery_success')) {
        refusedFilter++;
        return Response.json(
          { error: { type: 'invalid_request_error', param: 'delivery_success', message: 'Received unknown parameter: delivery_success' } },
          { status: 400 },
        );
      }
      return ctx.emulator.fetch(req);
    };
    const stripe = new Stripe(ctx.emulator.apiKey, { httpClient: Stripe.createFetchHttpClient(flaky), maxNetworkRetries: 0 });
    const deps = { ...ctx.app.deps, stripe };
    const r = await runReconciliation(deps, ctx.database, {
      since: new Date(start.getTime() - DAY),
      until: ctx.clock(),
      trigger: 'cli',
      backoff: { baseMs: 1, maxMs: 5 },
    });
    if (!r.ran) throw new Error('lock not taken');
    expect(r.report.rateLimited).toBeGreaterThan(0);
    expect(refusedFilter).toBeGreaterThan(0);
    expect(r.report.deliverySuccessFilter).toBe(false);
    expect(r.report.events.seen).toBeGreaterThan(0);
    expect(r.report.recovered).toBe(0);
    expect(await totals()).toEqual([{ raised: 7000, donations: 5, donors: 3, refunded: 1500, disputed: 4000 }]);
  });

  it('runs one at a time: a second reconciliation while one holds the lock is skipped', async () => {
    let acquired!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((r) => (acquired = r));
    const gate = new Promise<void>((r) => (release = r));
    const first = withReconciliationLock(ctx.database, async () => {
      acquired();
      await gate;
      return 'first';
    });
    await holding;
    expect(await reconcile()).toEqual({ ran: false });
    release();
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect((await reconcile()).ran).toBe(true);
  });
});
