import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDashboard } from '../../../server/admin/dashboard.js';
import { getCampaign } from '../../../server/campaigns/service.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { charge, checkoutSession, dispute, event, invoice, invoicePayment, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { signIn } from '../admin/helpers.js';

/**
 * SPEC §5 rules the first ledger got wrong (issue 9 defects, issue 8 item 13): each test is a
 * history a donor, the bank or Stripe can produce, checked through the public totals.
 */
const T = Date.parse('2026-12-05T10:00:00Z') / 1000;
const OLD_VERSION = '2024-06-20';

describe.each(testDatabaseKinds())('money rules on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:05:00Z') });
  });
  afterAll(async () => ctx?.close());

  async function progress(slug: string) {
    ctx.app.progressCache.invalidate(0);
    const res = await ctx.app.request(`/api/campaigns/${slug}`);
    return (await res.json()) as { raised: number; donations: number; donors: number };
  }
  const stored = (id: string) => ctx.db.selectFrom('stripe_events').where('id', '=', id).select(['outcome', 'detail']).executeTakeFirst();

  /** An older API version's rendering of an invoice: top-level subscription, no parent. */
  function oldShapeInvoice(inv: object, subscription: string) {
    const { parent: _parent, ...rest } = inv as { parent?: unknown };
    return { ...rest, subscription, charge: null, payment_intent: null, paid: true };
  }

  it('re-reads an event of another API version through the API before counting it', async () => {
    const c = await makeCampaign(ctx.db);
    const start = await ctx.app.request(`/api/campaigns/${c.slug}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1500, frequency: 'monthly', email: 'old@example.org' }),
    });
    const { id: sessionId } = (await start.json()) as { id: string };
    await ctx.emulator.completeCheckout(sessionId);
    await ctx.emulator.flush();
    expect(await progress(c.slug)).toMatchObject({ raised: 1500, donations: 1 });
    const subscription = (await ctx.stripe.checkout.sessions.retrieve(sessionId)).subscription as string;
    const before = new Set(ctx.emulator.events().map((e) => e.id));
    // The renewal happens at Stripe; our endpoint receives it in the shape of an older version.
    await ctx.emulator.renewSubscription(subscription, { paidAt: new Date('2026-12-06T10:00:00Z') });
    await ctx.emulator.flush();
    const renewal = ctx.emulator.events().find((e) => !before.has(e.id) && e.type === 'invoice.paid')!;
    // Its pinned twin was delivered by the emulator too; count the old-shape one under a new id.
    const old = {
      ...renewal,
      id: sid('evt'),
      api_version: OLD_VERSION,
      data: { object: oldShapeInvoice(renewal.data.object as never, subscription) },
    };
    expect((await ctx.deliver(old)).status).toBe(200);
    expect(await stored(old.id)).toMatchObject({ outcome: 'processed' });
    expect(await progress(c.slug)).toMatchObject({ raised: 3000, donations: 2 });
  });

  it('keeps an event it could not read retriable, and counts its later correct delivery', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 2000, frequency: 'monthly', email: 'r@example.org' });
    const ref = { id: g.id, amount: 2000, campaignSlug: c.slug, email: 'r@example.org' };
    const sub = sid('sub');
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T }), T),
    );
    // Reconciliation (or an old endpoint) brings the renewal in an old shape that Stripe cannot re-read now.
    const renewal = event(
      'invoice.paid',
      invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 60 }),
      T + 60,
    );
    const old = { ...renewal, api_version: OLD_VERSION, data: { object: oldShapeInvoice(renewal.data.object, sub) } };
    const first = await ctx.deliver(old);
    expect(first.status).toBeLessThan(600);
    expect((await stored(renewal.id))?.outcome).toBe('failed');
    expect(await progress(c.slug)).toMatchObject({ raised: 2000 });
    // the admin sees it, with the reason
    const admin = await signIn(ctx);
    const listed = await admin.json<{ events: { id: string; status: string; reason: string }[] }>('/webhooks/events?status=failed');
    expect(listed.events.find((e) => e.id === renewal.id)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('No such invoice'),
    });
    // Stripe's retry of the same event id, in the pinned version:
    expect((await ctx.deliver(renewal)).status).toBe(200);
    expect((await stored(renewal.id))?.outcome).toBe('processed');
    expect(await progress(c.slug)).toMatchObject({ raised: 4000, donations: 2 });
  });

  it('ignores gift metadata that points a subscription at another gift: Stripe ids win', async () => {
    const a = await makeCampaign(ctx.db);
    const b = await makeCampaign(ctx.db);
    const ga = await makeGift(ctx.db, a, { amount: 1500, frequency: 'monthly', email: 'a@example.org' });
    const gb = await makeGift(ctx.db, b, { amount: 700, frequency: 'monthly', email: 'b@example.org' });
    const refA = { id: ga.id, amount: 1500, campaignSlug: a.slug, email: 'a@example.org' };
    const subA = sid('sub');
    await ctx.deliver(
      event('invoice.paid', invoice(refA, { id: sid('in'), subscription: subA, billingReason: 'subscription_create', paidAt: T }), T),
    );
    // Someone edits the subscription's metadata in the Dashboard to gift B (which has no subscription yet).
    const tampered = { ...refA, id: gb.id, campaignSlug: b.slug };
    const r1 = await ctx.deliver(
      event(
        'invoice.paid',
        invoice(tampered, { id: sid('in'), subscription: subA, billingReason: 'subscription_cycle', paidAt: T + 100, amount: 1500 }),
        T + 100,
      ),
    );
    expect(r1.status).toBe(200);
    const r2 = await ctx.deliver(
      event(
        'customer.subscription.updated',
        { id: subA, object: 'subscription', status: 'active', created: T - 5, metadata: { gift_id: gb.id } },
        T + 101,
      ),
    );
    expect(r2.status).toBe(200);
    expect(await progress(a.slug)).toMatchObject({ raised: 3000, donations: 2 });
    expect(await progress(b.slug)).toMatchObject({ raised: 0, donations: 0 });
    const giftB = await ctx.db.selectFrom('gifts').where('id', '=', gb.id).select(['subscription_id', 'status']).executeTakeFirstOrThrow();
    expect(giftB).toEqual({ subscription_id: null, status: 'created' });
    const admin = await signIn(ctx);
    const listed = await admin.json<{ events: { conflict: string | null }[] }>('/webhooks/events?status=conflict');
    expect(listed.events.some((e) => e.conflict?.includes(gb.id))).toBe(true);
  });

  it("applies a renewal parked under another gift's metadata once a subscription event links its gift", async () => {
    const a = await makeCampaign(ctx.db);
    const other = await makeCampaign(ctx.db);
    const decoy = await makeGift(ctx.db, other, { amount: 100, frequency: 'monthly', email: 'd@example.org' });
    const decoyRef = { id: decoy.id, amount: 100, campaignSlug: other.slug, email: 'd@example.org' };
    await ctx.deliver(
      event(
        'invoice.paid',
        invoice(decoyRef, { id: sid('in'), subscription: sid('sub'), billingReason: 'subscription_create', paidAt: T }),
        T,
      ),
    );
    const g = await makeGift(ctx.db, a, { amount: 2500, frequency: 'monthly', email: 'g@example.org' });
    const ref = { id: g.id, amount: 2500, campaignSlug: a.slug, email: 'g@example.org' };
    const sub = sid('sub');
    // the renewal, with metadata edited to the decoy, comes first and must wait (not move money)
    const tampered = invoice(
      { ...ref, id: decoy.id, campaignSlug: other.slug },
      { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 50, amount: 2500 },
    );
    await ctx.deliver(event('invoice.paid', tampered, T + 50));
    await ctx.deliver(
      event(
        'customer.subscription.updated',
        { id: sub, object: 'subscription', status: 'active', created: T, metadata: { gift_id: g.id } },
        T + 1,
      ),
    );
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T }), T),
    );
    expect(await progress(a.slug)).toMatchObject({ raised: 5000, donations: 2 });
    expect(await progress(other.slug)).toMatchObject({ raised: 100, donations: 1 });
  });

  it('gives the money back when a refund fails in the same second as its charge.refunded snapshot', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 5000 });
    const pi = sid('pi');
    const ch = sid('ch');
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession({ id: g.id, amount: 5000, campaignSlug: c.slug }, { paymentIntent: pi }), T),
    );
    const re = {
      id: sid('re'),
      object: 'refund',
      amount: 2000,
      charge: ch,
      payment_intent: pi,
      created: T + 10,
      currency: 'usd',
      status: 'pending',
    };
    await ctx.deliver(event('refund.failed', { ...re, status: 'failed' }, T + 10));
    await ctx.deliver(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 5000, amountRefunded: 2000 }), T + 10));
    await ctx.deliver(event('refund.created', re, T + 10));
    expect(await progress(c.slug)).toMatchObject({ raised: 5000, donations: 1 });
  });

  it('keeps a refund.failed whose charge cannot be read retriable instead of acknowledging it', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 5000 });
    const pi = sid('pi');
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession({ id: g.id, amount: 5000, campaignSlug: c.slug }, { paymentIntent: pi }), T),
    );
    const failed = event(
      'refund.failed',
      {
        id: sid('re'),
        object: 'refund',
        amount: 2000,
        charge: sid('ch'),
        payment_intent: null,
        created: T + 10,
        currency: 'usd',
        status: 'failed',
      },
      T + 10,
    );
    await ctx.deliver(failed);
    expect((await stored(failed.id))?.outcome).toBe('failed');
  });

  it("orders subscription status by Stripe's facts, not by delivery", async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 900, frequency: 'monthly', email: 's@example.org' });
    const ref = { id: g.id, amount: 900, campaignSlug: c.slug, email: 's@example.org' };
    const sub = sid('sub');
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T }), T),
    );
    await ctx.deliver(
      event(
        'customer.subscription.deleted',
        { id: sub, object: 'subscription', status: 'canceled', created: T, canceled_at: T + 100, metadata: { gift_id: g.id } },
        T + 100,
      ),
    );
    await ctx.deliver(
      event(
        'customer.subscription.updated',
        { id: sub, object: 'subscription', status: 'active', created: T, canceled_at: null, metadata: { gift_id: g.id } },
        T + 50,
      ),
    );
    const gift = await ctx.db.selectFrom('gifts').where('id', '=', g.id).select('subscription_status').executeTakeFirstOrThrow();
    expect(gift.subscription_status).toBe('canceled');
  });

  it('counts by a half-open window: started inside counts however late it is paid, a renewal paid at the end does not', async () => {
    const end = new Date('2026-12-31T00:00:00Z');
    const endS = end.getTime() / 1000;
    const c = await makeCampaign(ctx.db, { endsAt: end });
    const late = await makeGift(ctx.db, c, { amount: 1000, email: 'late@example.org' });
    const afterEnd = await makeGift(ctx.db, c, { amount: 3000, email: 'after@example.org' });
    const lateSession = {
      ...checkoutSession({ id: late.id, amount: 1000, campaignSlug: c.slug }, { paymentIntent: sid('pi') }),
      created: endS - 60,
    };
    await ctx.deliver(event('checkout.session.async_payment_succeeded', lateSession, endS + 3 * 86400));
    const afterSession = {
      ...checkoutSession({ id: afterEnd.id, amount: 3000, campaignSlug: c.slug }, { paymentIntent: sid('pi') }),
      created: endS,
    };
    await ctx.deliver(event('checkout.session.completed', afterSession, endS + 5));
    const m = await makeGift(ctx.db, c, { amount: 500, frequency: 'monthly', email: 'm@example.org' });
    const ref = { id: m.id, amount: 500, campaignSlug: c.slug, email: 'm@example.org' };
    const sub = sid('sub');
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T }), T),
    );
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: endS }), endS),
    );
    expect(await progress(c.slug)).toMatchObject({ raised: 1500, donations: 2 });
  });

  it('decides a first monthly payment by when its Checkout started, whichever of its two events comes last', async () => {
    const end = new Date(Date.now() + 3600_000);
    const c = await makeCampaign(ctx.db, { startsAt: new Date(Date.now() - 86400_000), endsAt: end });
    const endS = Math.floor(end.getTime() / 1000);
    for (const checkoutFirst of [true, false]) {
      const g = await makeGift(ctx.db, c, { amount: 800, frequency: 'monthly', email: 'late@example.org' });
      const ref = { id: g.id, amount: 800, campaignSlug: c.slug, email: 'late@example.org' };
      const [sub, in1] = [sid('sub'), sid('in')];
      const completed = event(
        'checkout.session.completed',
        { ...checkoutSession(ref, { mode: 'subscription', subscription: sub, invoice: in1 }), created: endS + 60 },
        endS + 70,
      );
      const paid = event(
        'invoice.paid',
        invoice(ref, { id: in1, subscription: sub, billingReason: 'subscription_create', paidAt: endS + 65 }),
        endS + 65,
      );
      for (const e of checkoutFirst ? [completed, paid] : [paid, completed]) await ctx.deliver(e);
    }
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0 });
  });

  it('counts donors once per trimmed, lower-cased e-mail on the dashboard as on the public progress', async () => {
    const c = await makeCampaign(ctx.db);
    for (const email of ['Ada@example.org', ' ada@example.org ']) {
      const g = await makeGift(ctx.db, c, { amount: 1000, frequency: 'monthly', email });
      const ref = { id: g.id, amount: 1000, campaignSlug: c.slug, email };
      await ctx.deliver(
        event(
          'invoice.paid',
          invoice(ref, { id: sid('in'), subscription: sid('sub'), billingReason: 'subscription_create', paidAt: T }),
          T,
        ),
      );
    }
    expect(await progress(c.slug)).toMatchObject({ donors: 1, donations: 2 });
    const dash = await campaignDashboard(ctx.db, await getCampaign(ctx.db, c.slug), ctx.clock());
    expect(dash.monthlyDonors).toBe(1);
    expect(dash.donors).toBe(1);
  });

  it('links every InvoicePayment of an invoice paid in parts', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 3000, frequency: 'monthly', email: 'p@example.org' });
    const ref = { id: g.id, amount: 3000, campaignSlug: c.slug, email: 'p@example.org' };
    const inv = sid('in');
    const [pi1, pi2] = [sid('pi'), sid('pi')];
    await ctx.deliver(
      event('invoice.paid', invoice(ref, { id: inv, subscription: sid('sub'), billingReason: 'subscription_cycle', paidAt: T }), T),
    );
    await ctx.deliver(event('invoice_payment.paid', invoicePayment(inv, pi1, 1000), T + 1));
    await ctx.deliver(event('invoice_payment.paid', invoicePayment(inv, pi2, 2000), T + 2));
    await ctx.deliver(event('charge.refunded', charge({ id: sid('ch'), paymentIntent: pi2, amount: 2000, amountRefunded: 2000 }), T + 10));
    expect(await progress(c.slug)).toMatchObject({ raised: 1000 });
  });

  it('follows what Stripe withdraws for a dispute on a partly refunded charge', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 10_000 });
    const pi = sid('pi');
    const ch = sid('ch');
    await ctx.deliver(
      event('checkout.session.completed', checkoutSession({ id: g.id, amount: 10_000, campaignSlug: c.slug }, { paymentIntent: pi }), T),
    );
    await ctx.deliver(event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10_000, amountRefunded: 4000 }), T + 10));
    const d = { id: sid('dp'), charge: ch, paymentIntent: pi, amount: 10_000 };
    // The bank disputes the full amount: Stripe withdraws all of it while the dispute is open.
    await ctx.deliver(event('charge.dispute.funds_withdrawn', dispute({ ...d, status: 'needs_response' }), T + 20));
    expect(await progress(c.slug)).toMatchObject({ raised: 10_000 - 4000 - 10_000 });
    // Lost: Stripe returns the part already refunded ("partially won").
    await ctx.deliver(event('charge.dispute.closed', dispute({ ...d, status: 'lost' }), T + 30));
    expect(await progress(c.slug)).toMatchObject({ raised: 0, donations: 0 });
  });

  it('stays exact when a whole history is delivered at once, twice, in parallel', async () => {
    const c = await makeCampaign(ctx.db);
    const events: object[] = [];
    let want = 0;
    for (let i = 0; i < 12; i++) {
      const amount = 1000 + i;
      const email = `p${i % 4}@example.org`;
      if (i % 3 === 0) {
        const g = await makeGift(ctx.db, c, { amount, frequency: 'monthly', email });
        const ref = { id: g.id, amount, campaignSlug: c.slug, email };
        const sub = sid('sub');
        const [in1, in2, pi2, ch2] = [sid('in'), sid('in'), sid('pi'), sid('ch')];
        events.push(
          event('invoice.paid', invoice(ref, { id: in1, subscription: sub, billingReason: 'subscription_create', paidAt: T + i }), T + i),
        );
        events.push(
          event('checkout.session.completed', checkoutSession(ref, { mode: 'subscription', subscription: sub, invoice: in1 }), T + i + 1),
        );
        events.push(
          event(
            'invoice.paid',
            invoice(ref, { id: in2, subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 100 + i }),
            T + 100 + i,
          ),
        );
        events.push(event('invoice_payment.paid', invoicePayment(in2, pi2, amount), T + 101 + i));
        events.push(event('charge.refunded', charge({ id: ch2, paymentIntent: pi2, amount, amountRefunded: 300 }), T + 200 + i));
        want += amount + amount - 300;
      } else {
        const g = await makeGift(ctx.db, c, { amount, email });
        const pi = sid('pi');
        const ch = sid('ch');
        events.push(
          event(
            'checkout.session.completed',
            checkoutSession({ id: g.id, amount, campaignSlug: c.slug, email }, { paymentIntent: pi }),
            T + i,
          ),
        );
        events.push(
          event(
            'charge.dispute.created',
            dispute({ id: sid('dp'), charge: ch, paymentIntent: pi, amount: 400, status: 'needs_response' }),
            T + 300 + i,
          ),
        );
        want += amount - 400;
      }
    }
    const results = await Promise.all([...events, ...events].map((e) => ctx.deliver(e)));
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(await progress(c.slug)).toMatchObject({ raised: want, donations: 16, donors: 4 });
  });

  it('records a signed but malformed event as unreadable, answers 2xx and moves no money', async () => {
    const c = await makeCampaign(ctx.db);
    const before = await progress(c.slug);
    const nullObject = { ...event('checkout.session.completed', {}, T), data: { object: null } };
    const noId = {
      ...event('charge.refunded', charge({ id: sid('ch'), paymentIntent: sid('pi'), amount: 1, amountRefunded: 1 }), T),
      id: undefined,
    };
    const absurd = event(
      'charge.dispute.created',
      dispute({ id: sid('dp'), charge: sid('ch'), paymentIntent: sid('pi'), amount: 5, status: 'needs_response' }),
      1e300,
    );
    const notObject = 'null';
    const g = await makeGift(ctx.db, c, { amount: 700 });
    const badField = event(
      'checkout.session.completed',
      { ...checkoutSession({ id: g.id, amount: 700, campaignSlug: c.slug }, { paymentIntent: sid('pi') }), amount_total: 'lots' },
      T,
    );
    for (const e of [nullObject, noId, absurd, notObject, badField]) {
      const res = await ctx.deliver(e as object);
      expect(res.status).toBe(200);
    }
    expect((await stored(nullObject.id))?.outcome).toBe('unreadable');
    const admin = await signIn(ctx);
    const listed = await admin.json<{ events: { id: string; reason: string }[] }>('/webhooks/events?status=unreadable');
    expect(listed.events.find((e) => e.id === nullObject.id)).toMatchObject({ reason: 'event without data.object' });
    const unreadable = await ctx.db.selectFrom('stripe_events').where('outcome', '=', 'unreadable').select('id').execute();
    expect(unreadable.length).toBeGreaterThanOrEqual(4);
    // a field of the wrong type inside a readable envelope: kept as failed, never a 500 loop
    expect((await stored(badField.id))?.outcome).toBe('failed');
    expect(await progress(c.slug)).toEqual(before);
  });
});
