import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { charge, checkoutSession, dispute, event, invoice, invoicePayment, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';

const T = Date.parse('2026-12-05T10:00:00Z') / 1000;

describe.each(testDatabaseKinds())('POST /webhooks/stripe on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:05:00Z') });
  });
  afterAll(async () => ctx?.close());

  async function progress(slug: string) {
    ctx.app.progressCache.invalidate(0);
    const res = await ctx.app.request(`/api/campaigns/${slug}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { raised: number; donations: number; donors: number; matched: number; total: number; percent: number };
  }
  const eventCount = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('stripe_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function paidOnce(slug: string, campaign: { id: number; currency: string }, amount: number, email = 'ada@example.org') {
    const g = await makeGift(ctx.db, campaign, { amount, email });
    const pi = sid('pi');
    const res = await ctx.deliver(
      event('checkout.session.completed', checkoutSession({ id: g.id, amount, campaignSlug: slug, email }, { paymentIntent: pi }), T),
    );
    expect(res.status).toBe(200);
    return { gift: g, pi };
  }

  it('refuses a forged, unsigned or stale event and records nothing', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 5000 });
    const e = event(
      'checkout.session.completed',
      checkoutSession({ id: g.id, amount: 5000, campaignSlug: c.slug }, { paymentIntent: sid('pi') }),
      T,
    );
    const before = await eventCount();

    const forged = await ctx.deliver(e, { secret: 'whsec_not_the_right_one' });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const stale = await ctx.deliver(e, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);

    const unsigned = await ctx.app.request('/webhooks/stripe', { method: 'POST', body: JSON.stringify(e) });
    expect(unsigned.status).toBe(400);

    // signed body, then altered by one byte on the way
    const body = JSON.stringify(e, null, 2);
    const { signPayload } = await import('../../helpers/app.js');
    const tampered = await ctx.app.request('/webhooks/stripe', {
      method: 'POST',
      body: body.replace('"amount_total": 5000', '"amount_total": 500000'),
      headers: { 'stripe-signature': signPayload(body) },
    });
    expect(tampered.status).toBe(400);

    expect(await eventCount()).toBe(before);
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0, donors: 0 });
  });

  it('counts a one-time gift once, however often the event is delivered', async () => {
    const c = await makeCampaign(ctx.db, { match: { ratio: { ppm: 500_000 }, cap: 1000 } });
    const g = await makeGift(ctx.db, c, { amount: 2500, email: 'Ada@Example.org' });
    const e = event(
      'checkout.session.completed',
      checkoutSession({ id: g.id, amount: 2500, campaignSlug: c.slug, email: 'Ada@Example.org' }, { paymentIntent: sid('pi') }),
      T,
    );
    const results = await Promise.all([ctx.deliver(e), ctx.deliver(e), ctx.deliver(e)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await progress(c.slug)).toMatchObject({ raised: 2500, donations: 1, donors: 1, matched: 1000, total: 3500, percent: 0 });
    await paidOnce(c.slug, c, 1000, 'ada@example.org'); // same donor, other case
    expect(await progress(c.slug)).toMatchObject({ raised: 3500, donations: 2, donors: 1 });
  });

  it('acknowledges unknown event types and gifts that are not ours, and stores them', async () => {
    const unknown = event('customer.tax_id.created', { id: sid('txi'), object: 'tax_id' }, T);
    const r1 = await ctx.deliver(unknown);
    expect(r1.status).toBe(200);
    const notOurs = event(
      'checkout.session.completed',
      {
        ...checkoutSession({ id: 'not-a-gift', amount: 100, campaignSlug: 'x' }, { paymentIntent: sid('pi') }),
        metadata: {},
        client_reference_id: null,
      },
      T,
    );
    const r2 = await ctx.deliver(notOurs);
    expect(r2.status).toBe(200);
    const rows = await ctx.db.selectFrom('stripe_events').where('id', 'in', [unknown.id, notOurs.id]).select(['id', 'outcome']).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.outcome === 'ignored')).toBe(true);
  });

  it('counts the first payment of a monthly gift once and renewals only inside the window', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 1500, frequency: 'monthly', email: 'bo@example.org' });
    const ref = { id: g.id, amount: 1500, campaignSlug: c.slug, email: 'bo@example.org' };
    const sub = sid('sub');
    const in1 = sid('in');
    // invoice.paid first, then the checkout completion naming the same invoice
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: in1, subscription: sub, billingReason: 'subscription_create', paidAt: T }), T),
    );
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession(ref, { mode: 'subscription', subscription: sub, invoice: in1 }), T + 1),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 1500, donations: 1, donors: 1 });

    const inWindow = Date.parse('2026-12-31T12:00:00Z') / 1000;
    const after = Date.parse('2027-01-31T12:00:00Z') / 1000;
    // The late renewal's webhook arrives first; paid_at decides, not arrival.
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: after }), after),
    );
    await ctx.deliver(
      event(
        'invoice.paid',
        invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: inWindow }),
        after + 5,
      ),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 3000, donations: 2, donors: 1 });
    const recorded = await ctx.db.selectFrom('payments').where('gift_id', '=', g.id).select(['kind', 'in_window']).orderBy('id').execute();
    expect(recorded).toHaveLength(3);
    expect(recorded.filter((p) => !p.in_window)).toHaveLength(1);

    await ctx.deliver(
      event(
        'customer.subscription.deleted',
        { id: sub, object: 'subscription', status: 'canceled', metadata: { gift_id: g.id } },
        after + 10,
      ),
    );
    const gift = await ctx.db.selectFrom('gifts').where('id', '=', g.id).select('subscription_status').executeTakeFirstOrThrow();
    expect(gift.subscription_status).toBe('canceled');
  });

  it('parks a renewal that names no gift until the checkout completion links its subscription', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 1200, frequency: 'monthly', email: 'pat@example.org' });
    const ref = { id: g.id, amount: 1200, campaignSlug: c.slug, email: 'pat@example.org' };
    const sub = sid('sub');
    const in1 = sid('in');
    const bare = (inv: ReturnType<typeof invoice>) => ({
      ...inv,
      parent: { ...inv.parent, subscription_details: { subscription: sub, metadata: {} } },
    });
    // A Stripe-compatible server that does not copy subscription metadata onto invoices:
    await ctx.deliver(
      event('invoice.paid', bare(invoice(ref, { id: in1, subscription: sub, billingReason: 'subscription_create', paidAt: T })), T),
    );
    await ctx.deliver(
      event(
        'invoice.paid',
        bare(invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 100 })),
        T + 100,
      ),
    );
    await ctx.deliver(
      event('customer.subscription.deleted', { id: sub, object: 'subscription', status: 'canceled', metadata: {} }, T + 200),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0 });
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession(ref, { mode: 'subscription', subscription: sub, invoice: in1 }), T + 1),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 2400, donations: 2, donors: 1 });
    const gift = await ctx.db
      .selectFrom('gifts')
      .where('id', '=', g.id)
      .select(['subscription_status', 'status'])
      .executeTakeFirstOrThrow();
    expect(gift).toEqual({ subscription_status: 'canceled', status: 'paid' });
  });

  it('applies a parked subscription status once an invoice with gift metadata links the subscription', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 900, frequency: 'monthly', email: 'sam@example.org' });
    const ref = { id: g.id, amount: 900, campaignSlug: c.slug, email: 'sam@example.org' };
    const sub = sid('sub');
    await ctx.deliver(event('customer.subscription.updated', { id: sub, object: 'subscription', status: 'past_due', metadata: {} }, T));
    await ctx.deliver(
      event(
        'invoice.paid',
        invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T - 10 }),
        T + 1,
      ),
    );
    const gift = await ctx.db
      .selectFrom('gifts')
      .where('id', '=', g.id)
      .select(['subscription_id', 'subscription_status'])
      .executeTakeFirstOrThrow();
    expect(gift).toEqual({ subscription_id: sub, subscription_status: 'past_due' });
    expect(await progress(c.slug)).toMatchObject({ raised: 900, donations: 1 });
  });

  it('applies cumulative partial refunds in any order, and a renewal refund through its invoice payment', async () => {
    const c = await makeCampaign(ctx.db);
    const { pi } = await paidOnce(c.slug, c, 10_000);
    const ch = sid('ch');
    // newest snapshot (7000 refunded) arrives before the older one (3000)
    await ctx.deliver(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10_000, amountRefunded: 7000 }), T + 20));
    await ctx.deliver(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10_000, amountRefunded: 3000 }), T + 10));
    expect(await progress(c.slug)).toMatchObject({ raised: 3000, donations: 1 });
    await ctx.deliver(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10_000, amountRefunded: 10_000 }), T + 30));
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0, donors: 0 });

    // renewal: the refund names only the PaymentIntent; invoice_payment.paid ties it to the invoice
    const g = await makeGift(ctx.db, c, { amount: 2000, frequency: 'monthly', email: 'cy@example.org' });
    const ref = { id: g.id, amount: 2000, campaignSlug: c.slug, email: 'cy@example.org' };
    const sub = sid('sub');
    const inv = sid('in');
    const pi2 = sid('pi');
    await ctx.deliver(event('charge.refunded', charge({ id: sid('ch'), paymentIntent: pi2, amount: 2000, amountRefunded: 500 }), T + 50));
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: inv, subscription: sub, billingReason: 'subscription_create', paidAt: T + 40 }), T + 40),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 2000 });
    await ctx.deliver(event('invoice_payment.paid', invoicePayment(inv, pi2, 2000), T + 41));
    expect(await progress(c.slug)).toMatchObject({ raised: 1500, donations: 1, donors: 1 });
  });

  it("ties a renewal refund to its invoice through the invoice's own payments when invoice_payment.paid never comes", async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 3000, frequency: 'monthly', email: 'dee@example.org' });
    const ref = { id: g.id, amount: 3000, campaignSlug: c.slug, email: 'dee@example.org' };
    const sub = sid('sub');
    const inv = sid('in');
    const pi = sid('pi');
    const paid = {
      ...invoice(ref, { id: inv, subscription: sub, billingReason: 'subscription_cycle', paidAt: T }),
      payments: { object: 'list', data: [invoicePayment(inv, pi, 3000)], has_more: false },
    };
    await ctx.deliver(event('invoice.paid', paid, T));
    await ctx.deliver(event('charge.refunded', charge({ id: sid('ch'), paymentIntent: pi, amount: 3000, amountRefunded: 1000 }), T + 60));
    expect(await progress(c.slug)).toMatchObject({ raised: 2000, donations: 1 });
  });

  it('subtracts a dispute while open or lost, puts it back when won, ignores inquiries', async () => {
    const c = await makeCampaign(ctx.db);
    const a = await paidOnce(c.slug, c, 4000, 'a@example.org');
    const b = await paidOnce(c.slug, c, 6000, 'b@example.org');
    const w = await paidOnce(c.slug, c, 1000, 'w@example.org');
    const da = { id: sid('dp'), charge: sid('ch'), paymentIntent: a.pi, amount: 4000 };
    const db = { id: sid('dp'), charge: sid('ch'), paymentIntent: b.pi, amount: 2500 };
    await ctx.deliver(event('charge.dispute.created', dispute({ ...da, status: 'needs_response' }), T + 1));
    await ctx.deliver(event('charge.dispute.created', dispute({ ...db, status: 'needs_response' }), T + 1));
    await ctx.deliver(
      event(
        'charge.dispute.created',
        dispute({ id: sid('dp'), charge: sid('ch'), paymentIntent: w.pi, amount: 1000, status: 'warning_needs_response' }),
        T + 1,
      ),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 11_000 - 4000 - 2500, donations: 3 });
    // closed events delivered before a late, older "updated"
    await ctx.deliver(event('charge.dispute.closed', dispute({ ...da, status: 'lost' }), T + 10));
    await ctx.deliver(event('charge.dispute.closed', dispute({ ...db, status: 'won' }), T + 10));
    await ctx.deliver(event('charge.dispute.updated', dispute({ ...db, status: 'under_review' }), T + 5));
    expect(await progress(c.slug)).toMatchObject({ raised: 6000 + 1000, donations: 2, donors: 2 });
  });

  it('keeps an async payment pending until it succeeds, and a failed one out of the totals', async () => {
    const c = await makeCampaign(ctx.db);
    const ok = await makeGift(ctx.db, c, { amount: 3000 });
    const bad = await makeGift(ctx.db, c, { amount: 4000 });
    const pi1 = sid('pi');
    const pi2 = sid('pi');
    const r1 = { id: ok.id, amount: 3000, campaignSlug: c.slug, email: 'x@example.org' };
    const r2 = { id: bad.id, amount: 4000, campaignSlug: c.slug, email: 'y@example.org' };
    // One Checkout Session per gift: its completion and its settlement name the same session.
    const [cs1, cs2] = [sid('cs'), sid('cs')];
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession(r1, { sessionId: cs1, paymentIntent: pi1, paymentStatus: 'unpaid' }), T),
    );
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession(r2, { sessionId: cs2, paymentIntent: pi2, paymentStatus: 'unpaid' }), T),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0 });
    const status = async (id: string) =>
      (await ctx.db.selectFrom('gifts').where('id', '=', id).select('status').executeTakeFirstOrThrow()).status;
    expect(await status(ok.id)).toBe('pending');
    await ctx.deliver(
      event('checkout.session.async_payment_succeeded', checkoutSession(r1, { sessionId: cs1, paymentIntent: pi1 }), T + 100),
    );
    await ctx.deliver(
      event(
        'checkout.session.async_payment_failed',
        checkoutSession(r2, { sessionId: cs2, paymentIntent: pi2, paymentStatus: 'unpaid' }),
        T + 100,
      ),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 3000, donations: 1 });
    expect(await status(ok.id)).toBe('paid');
    expect(await status(bad.id)).toBe('failed');
  });

  it('marks an abandoned checkout expired', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 3000 });
    const s = { ...checkoutSession({ id: g.id, amount: 3000, campaignSlug: c.slug }), status: 'expired', payment_status: 'unpaid' };
    expect((await ctx.deliver(event('checkout.session.expired', s, T))).status).toBe(200);
    expect((await ctx.db.selectFrom('gifts').where('id', '=', g.id).select('status').executeTakeFirstOrThrow()).status).toBe('expired');
  });
});
