import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { charge, checkoutSession, dispute, event, invoice, invoicePayment, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { runs } from '../../helpers/property.js';

/**
 * SPEC §5: "after any order of delivery, with any duplicates, concurrently, the totals equal
 * those of in-order delivery". Random gift histories are turned into realistic Stripe events;
 * one copy is delivered in order, another shuffled, partly duplicated and in concurrent bursts.
 * Both must equal the totals an independent model computes from the history.
 */

const WINDOW = { start: Date.parse('2026-11-01T00:00:00Z') / 1000, end: Date.parse('2026-12-31T23:59:59Z') / 1000 };
const EMAILS = ['ada@example.org', 'ADA@example.org', 'bo@example.org', 'cy@example.org', null] as const;

type DisputeOutcome = 'won' | 'lost' | 'open' | 'warning';
interface Money { refunds: number[]; dispute: { amountPct: number; outcome: DisputeOutcome } | null }
interface GiftPlan {
  kind: 'once' | 'async_ok' | 'async_fail' | 'monthly';
  amount: number;
  email: (typeof EMAILS)[number];
  first: Money;
  renewals: { inWindow: boolean; money: Money }[];
}

const money = (amount: number) =>
  fc.record({
    // cumulative refund snapshots, increasing
    refunds: fc.array(fc.integer({ min: 1, max: amount }), { maxLength: 2 }).map((xs) => [...new Set(xs)].sort((a, b) => a - b)),
    dispute: fc.option(fc.record({ amountPct: fc.constantFrom(50, 100), outcome: fc.constantFrom<DisputeOutcome>('won', 'lost', 'open', 'warning') }), { nil: null }),
  });

const giftPlan: fc.Arbitrary<GiftPlan> = fc
  .record({ kind: fc.constantFrom<GiftPlan['kind']>('once', 'async_ok', 'async_fail', 'monthly'), amount: fc.integer({ min: 50, max: 50_000 }), email: fc.constantFrom(...EMAILS) })
  .chain((g) =>
    fc.record({
      kind: fc.constant(g.kind),
      amount: fc.constant(g.amount),
      email: fc.constant(g.email),
      first: money(g.amount),
      renewals: g.kind === 'monthly' ? fc.array(fc.record({ inWindow: fc.boolean(), money: money(g.amount) }), { maxLength: 3 }) : fc.constant([]),
    }),
  );

/** What the history must add up to, computed without the app. */
function expected(plans: GiftPlan[]) {
  let raised = 0;
  let donations = 0;
  const donors = new Set<string>();
  plans.forEach((p, gi) => {
    if (p.kind === 'async_fail') return;
    const payments = [{ money: p.first, counted: true }, ...p.renewals.map((r) => ({ money: r.money, counted: r.inWindow }))];
    payments.forEach((pay, pi) => {
      if (!pay.counted) return;
      const refunded = Math.min(pay.money.refunds.at(-1) ?? 0, p.amount);
      const d = pay.money.dispute;
      const dAmount = d ? Math.floor((p.amount * d.amountPct) / 100) : 0;
      const withheld = d && (d.outcome === 'open' || d.outcome === 'lost') ? Math.min(dAmount, p.amount - refunded) : 0;
      const lost = d?.outcome === 'lost' ? dAmount : 0;
      raised += p.amount - refunded - withheld;
      if (p.amount - refunded - lost > 0) {
        donations += 1;
        donors.add(p.email ? p.email.toLowerCase() : `anon-${gi}-${pi}`);
      }
    });
  });
  return { raised, donations, donors: donors.size };
}

/** Realistic events for the plans, against freshly created gifts, in true order. */
async function materialise(ctx: TestContext, campaign: { id: number; slug: string; currency: string }, plans: GiftPlan[]) {
  const events: object[] = [];
  let t = WINDOW.start + 86400 * 5;
  const at = () => (t += 7);
  const moneyEvents = (m: Money, amount: number, pi: string) => {
    const ch = sid('ch');
    for (const r of m.refunds) events.push(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount, amountRefunded: r }), at()));
    if (m.dispute) {
      const dp = sid('dp');
      const dAmount = Math.floor((amount * m.dispute.amountPct) / 100);
      const base = { id: dp, charge: ch, paymentIntent: pi, amount: dAmount };
      if (m.dispute.outcome === 'warning') {
        events.push(event('charge.dispute.created', dispute({ ...base, status: 'warning_needs_response' }), at()));
        events.push(event('charge.dispute.closed', dispute({ ...base, status: 'warning_closed' }), at()));
        return;
      }
      events.push(event('charge.dispute.created', dispute({ ...base, status: 'needs_response' }), at()));
      events.push(event('charge.dispute.funds_withdrawn', dispute({ ...base, status: 'needs_response' }), at()));
      if (m.dispute.outcome === 'open') events.push(event('charge.dispute.updated', dispute({ ...base, status: 'under_review' }), at()));
      if (m.dispute.outcome === 'won') {
        events.push(event('charge.dispute.funds_reinstated', dispute({ ...base, status: 'won' }), at()));
        events.push(event('charge.dispute.closed', dispute({ ...base, status: 'won' }), at()));
      }
      if (m.dispute.outcome === 'lost') events.push(event('charge.dispute.closed', dispute({ ...base, status: 'lost' }), at()));
    }
  };
  for (const p of plans) {
    const g = await makeGift(ctx.db, campaign, { amount: p.amount, email: p.email, frequency: p.kind === 'monthly' ? 'monthly' : 'once' });
    const ref = { id: g.id, amount: p.amount, campaignSlug: campaign.slug, email: p.email };
    const cs = sid('cs');
    if (p.kind === 'monthly') {
      const sub = sid('sub');
      const in1 = sid('in');
      const pi1 = sid('pi');
      const paid = at();
      events.push(event('invoice.paid', invoice(ref, { id: in1, subscription: sub, billingReason: 'subscription_create', paidAt: paid }), paid));
      events.push(event('invoice_payment.paid', invoicePayment(in1, pi1, p.amount), at()));
      events.push(event('checkout.session.completed', checkoutSession(ref, { mode: 'subscription', sessionId: cs, subscription: sub, invoice: in1 }), at()));
      moneyEvents(p.first, p.amount, pi1);
      for (const r of p.renewals) {
        const inK = sid('in');
        const piK = sid('pi');
        const paidAt = r.inWindow ? at() : WINDOW.end + 86400 * (1 + Math.floor(Math.random() * 60));
        // The webhook of an out-of-window renewal may arrive at any time; its paid_at decides.
        events.push(event('invoice.paid', invoice(ref, { id: inK, subscription: sub, billingReason: 'subscription_cycle', paidAt }), at()));
        events.push(event('invoice_payment.paid', invoicePayment(inK, piK, p.amount), at()));
        moneyEvents(r.money, p.amount, piK);
      }
      continue;
    }
    const pi = sid('pi');
    if (p.kind === 'once') {
      events.push(event('checkout.session.completed', checkoutSession(ref, { sessionId: cs, paymentIntent: pi }), at()));
      moneyEvents(p.first, p.amount, pi);
    } else {
      events.push(event('checkout.session.completed', checkoutSession(ref, { sessionId: cs, paymentIntent: pi, paymentStatus: 'unpaid' }), at()));
      if (p.kind === 'async_ok') {
        events.push(event('checkout.session.async_payment_succeeded', checkoutSession(ref, { sessionId: cs, paymentIntent: pi }), at()));
        moneyEvents(p.first, p.amount, pi);
      } else {
        events.push(event('checkout.session.async_payment_failed', { ...checkoutSession(ref, { sessionId: cs, paymentIntent: pi, paymentStatus: 'unpaid' }) }, at()));
      }
    }
  }
  // noise Stripe also sends and we only acknowledge
  events.push(event('customer.created', { id: sid('cus'), object: 'customer' }, at()));
  return events;
}

async function totals(ctx: TestContext, slug: string) {
  const res = await ctx.app.request(`/api/campaigns/${slug}`);
  const body = (await res.json()) as { raised: number; donations: number; donors: number };
  return { raised: body.raised, donations: body.donations, donors: body.donors };
}

async function deliverAll(ctx: TestContext, events: object[]) {
  for (const e of events) {
    const r = await ctx.deliver(e);
    expect(r.status).toBe(200);
  }
}

describe.each(testDatabaseKinds())('ledger property on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-10T12:00:00Z') });
  });
  afterAll(async () => ctx?.close());

  // The longest test of the suite, and it grows with FC_NUM_RUNS: its ceiling grows with it.
  const numRuns = runs(kind === 'postgres' ? 60 : 30);
  it('any order, duplicates and concurrency give the in-order totals', { timeout: Math.max(10 * 60_000, numRuns * 10_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(giftPlan, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 2 ** 31 }), async (plans, seed) => {
        const want = expected(plans);
        const inOrder = await makeCampaign(ctx.db);
        await deliverAll(ctx, await materialise(ctx, inOrder, plans));
        // totals are read through the public API, which caches: drop the cache like a notify would
        ctx.app.progressCache.invalidate(0);
        expect(await totals(ctx, inOrder.slug)).toEqual(want);

        const shuffled = await makeCampaign(ctx.db);
        const events = await materialise(ctx, shuffled, plans);
        const rand = mulberry(seed);
        const copies = events.flatMap((e) => (rand() < 0.3 ? [e, e] : [e]));
        for (let i = copies.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [copies[i], copies[j]] = [copies[j]!, copies[i]!];
        }
        // concurrent bursts of up to 6 deliveries
        for (let i = 0; i < copies.length; i += 6) {
          const res = await Promise.all(copies.slice(i, i + 6).map((e) => ctx.deliver(e)));
          for (const r of res) expect(r.status).toBe(200);
        }
        ctx.app.progressCache.invalidate(0);
        expect(await totals(ctx, shuffled.slug)).toEqual(want);
      }),
      { numRuns },
    );
  });
});

function mulberry(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
