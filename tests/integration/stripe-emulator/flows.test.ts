import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { paymentParams, setup, subscriptionParams, emulatorPerTest } from './harness.js';

const env = emulatorPerTest();

const objectOf = <T>(r: { event: Stripe.Event }) => r.event.data.object as unknown as T;

describe('one-time gifts', () => {
  it('paid: charge.succeeded, payment_intent.succeeded, checkout.session.completed, each signed and pretty-printed', async () => {
    const { stripe, emulator, received, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id, 'paid', { name: 'Ada Lovelace' });
    expect(types()).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);

    for (const r of received) {
      expect(r.body).toBe(JSON.stringify(r.event, null, 2)); // pretty-printed, as Stripe sends it
      expect(r.headers['Stripe-Signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(r.event).toMatchObject({ object: 'event', api_version: '2026-10-28.endive', livemode: false });
    }

    const completed = objectOf<Stripe.Checkout.Session>(received[2]!);
    expect(completed).toMatchObject({
      id: s.id,
      status: 'complete',
      payment_status: 'paid',
      amount_total: 2500,
      metadata: { gift_id: 'gift-1', campaign: 'demo' },
      customer_details: { email: 'donor@example.org', name: 'Ada Lovelace' },
      subscription: null,
      invoice: null,
    });
    const pi = await stripe.paymentIntents.retrieve(completed.payment_intent as string);
    expect(pi).toMatchObject({
      status: 'succeeded',
      amount: 2500,
      amount_received: 2500,
      currency: 'eur',
      metadata: { gift_id: 'gift-1', campaign: 'demo' },
    });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({
      payment_intent: pi.id,
      amount: 2500,
      amount_refunded: 0,
      refunded: false,
      status: 'succeeded',
      paid: true,
    });
    expect(charge.metadata).toEqual({ gift_id: 'gift-1', campaign: 'demo' });

    const again = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
    expect((again.payment_intent as Stripe.PaymentIntent).id).toBe(pi.id);
    await expect(emulator.completeCheckout(s.id)).rejects.toThrow(/complete/);
  });

  it('delayed method: completed unpaid, then async_payment_succeeded', async () => {
    const { stripe, emulator, received, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id, 'async_pending');
    expect(types()).toEqual(['charge.pending', 'payment_intent.processing', 'checkout.session.completed']);
    const completed = objectOf<Stripe.Checkout.Session>(received[2]!);
    expect(completed.payment_status).toBe('unpaid');
    expect((await stripe.paymentIntents.retrieve(completed.payment_intent as string)).status).toBe('processing');

    await emulator.settleAsync(s.id, 'succeeded');
    expect(types().slice(3)).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.async_payment_succeeded']);
    expect(objectOf<Stripe.Checkout.Session>(received[5]!).payment_status).toBe('paid');
    await expect(emulator.settleAsync(s.id, 'failed')).rejects.toThrow();
  });

  it('delayed method that fails: async_payment_failed and a failed charge', async () => {
    const { stripe, emulator, received, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id, 'async_pending');
    await emulator.settleAsync(s.id, 'failed');
    expect(types().slice(3)).toEqual(['charge.failed', 'payment_intent.payment_failed', 'checkout.session.async_payment_failed']);
    expect(objectOf<Stripe.Checkout.Session>(received[5]!).payment_status).toBe('unpaid');
    expect(objectOf<Stripe.Charge>(received[3]!).status).toBe('failed');
  });

  it('cancel leaves the session open without a webhook; expire sends checkout.session.expired', async () => {
    const { stripe, emulator, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await expect(emulator.cancelCheckout(s.id)).resolves.toBe('http://localhost:3999/donate/demo?canceled=1');
    expect(types()).toEqual([]);
    expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('open');
    await emulator.expireCheckout(s.id);
    expect(types()).toEqual(['checkout.session.expired']);
    await expect(emulator.completeCheckout(s.id)).rejects.toThrow(/expired/);
  });

  it('a session past its expires_at cannot be paid and expires when tried', async () => {
    let now = new Date('2025-12-01T12:00:00Z');
    const { stripe, emulator, types } = env({ clock: () => now });
    const s = await stripe.checkout.sessions.create(paymentParams());
    now = new Date('2025-12-02T12:00:01Z');
    await expect(emulator.completeCheckout(s.id)).rejects.toThrow(/expired/);
    expect(types()).toEqual(['checkout.session.expired']);
  });
});

describe('automatic expiry', () => {
  it('a session past expires_at is expired by the next API request, with its webhook after the answer', async () => {
    let now = new Date('2025-12-01T12:00:00Z');
    const { stripe, emulator, types } = env({ clock: () => now });
    const s = await stripe.checkout.sessions.create(paymentParams({ expires_at: Date.parse('2025-12-01T13:00:00Z') / 1000 }));
    expect(s.expires_at).toBe(Date.parse('2025-12-01T13:00:00Z') / 1000);
    now = new Date('2025-12-01T12:59:59Z');
    expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('open');
    now = new Date('2025-12-01T13:00:00Z');
    expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('expired');
    await emulator.flush();
    expect(types()).toEqual(['checkout.session.expired']);
  });
});

describe('monthly gifts', () => {
  it('subscription checkout: customer, subscription, invoice (new shape), invoice payment, session', async () => {
    const { stripe, emulator, received, types } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    await emulator.completeCheckout(s.id, 'paid', { name: 'Grace Hopper' });
    expect(types()).toEqual([
      'customer.created',
      // Checkout saves the card and makes it the subscription's default payment method.
      'payment_method.attached',
      'customer.subscription.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'checkout.session.completed',
    ]);
    const byType = (t: string) => received.find((r) => r.event.type === t)!;
    const customer = objectOf<Stripe.Customer>(byType('customer.created'));
    expect(customer).toMatchObject({ email: 'monthly@example.org', name: 'Grace Hopper' });

    const sub = objectOf<Stripe.Subscription>(byType('customer.subscription.created'));
    expect(sub.default_payment_method).toBe(objectOf<Stripe.PaymentMethod>(byType('payment_method.attached')).id);
    expect(sub).toMatchObject({
      status: 'active',
      customer: customer.id,
      metadata: { gift_id: 'gift-m', campaign: 'demo' },
      currency: 'usd',
    });
    expect(sub.items.data[0]!.price).toMatchObject({ unit_amount: 1000, recurring: { interval: 'month', interval_count: 1 } });

    const invoice = objectOf<Stripe.Invoice>(byType('invoice.paid'));
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'paid',
      amount_paid: 1000,
      currency: 'usd',
      billing_reason: 'subscription_create',
      customer_email: 'monthly@example.org',
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: sub.id, metadata: { gift_id: 'gift-m', campaign: 'demo' } },
      },
    });
    expect(invoice.status_transitions.paid_at).toBeTypeOf('number');
    expect(invoice.lines.data[0]).toMatchObject({ amount: 1000, object: 'line_item' });
    // Removed from Invoice in this API version: the app must not find them.
    for (const gone of ['subscription', 'charge', 'payment_intent', 'paid']) expect(invoice).not.toHaveProperty(gone);

    const inpay = objectOf<Stripe.InvoicePayment>(byType('invoice_payment.paid'));
    expect(inpay).toMatchObject({
      object: 'invoice_payment',
      invoice: invoice.id,
      amount_paid: 1000,
      currency: 'usd',
      status: 'paid',
      payment: { type: 'payment_intent' },
    });
    const pi = await stripe.paymentIntents.retrieve(inpay.payment.payment_intent as string);
    expect(pi.metadata).toEqual({}); // subscription PaymentIntents carry no metadata
    expect((await stripe.charges.retrieve(pi.latest_charge as string)).metadata).toEqual({});

    const completed = objectOf<Stripe.Checkout.Session>(byType('checkout.session.completed'));
    expect(completed).toMatchObject({
      mode: 'subscription',
      payment_status: 'paid',
      payment_intent: null,
      subscription: sub.id,
      invoice: invoice.id,
      customer: customer.id,
    });

    const listed = await stripe.invoicePayments.list({ invoice: invoice.id });
    expect(listed.data.map((p) => p.id)).toEqual([inpay.id]);
    expect((await stripe.invoices.retrieve(invoice.id)).id).toBe(invoice.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).latest_invoice).toBe(invoice.id);
    const expanded = await stripe.invoices.retrieve(invoice.id, { expand: ['payments', 'parent.subscription_details.subscription'] });
    expect(expanded.payments?.data[0]?.id).toBe(inpay.id);
    expect((expanded.parent?.subscription_details?.subscription as Stripe.Subscription).id).toBe(sub.id);
  });

  it('renewals: invoice.paid with subscription_cycle and paid_at from opts.paidAt; cancel sends subscription.deleted', async () => {
    const { stripe, emulator, received, types } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    await emulator.completeCheckout(s.id);
    const subId = (await stripe.checkout.sessions.retrieve(s.id)).subscription as string;
    const before = received.length;
    const paidAt = new Date('2026-01-15T10:00:00Z');
    await emulator.renewSubscription(subId, { paidAt });
    expect(types().slice(before)).toEqual([
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
    ]);
    const invoice = objectOf<Stripe.Invoice>(received.find((r, i) => i >= before && r.event.type === 'invoice.paid')!);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 1000 });
    expect(invoice.status_transitions.paid_at).toBe(paidAt.getTime() / 1000);
    expect(invoice.parent?.subscription_details?.subscription).toBe(subId);
    const inpay = objectOf<Stripe.InvoicePayment>(received.at(-1)!);
    expect(inpay.invoice).toBe(invoice.id);
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub.latest_invoice).toBe(invoice.id);
    expect(sub.items.data[0]!.current_period_start).toBe(invoice.lines.data[0]!.period.start);

    await emulator.cancelSubscription(subId);
    expect(types().at(-1)).toBe('customer.subscription.deleted');
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe('canceled');
    await expect(emulator.renewSubscription(subId)).rejects.toThrow(/canceled/);
  });

  it('async_pending is refused in subscription mode and leaves the session open', async () => {
    const { stripe, emulator } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    await expect(emulator.completeCheckout(s.id, 'async_pending')).rejects.toThrow();
    expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('open');
  });
});

describe('refunds and disputes', () => {
  async function paid() {
    const h = env();
    const s = await h.stripe.checkout.sessions.create(paymentParams());
    await h.emulator.completeCheckout(s.id);
    const pi = (await h.stripe.checkout.sessions.retrieve(s.id)).payment_intent as string;
    h.received.length = 0;
    return { ...h, pi };
  }

  it('partial then full refund: charge.refunded carries the cumulative amount_refunded', async () => {
    const { emulator, received, types, pi } = await paid();
    await emulator.refund(pi, 1000);
    await emulator.refund(pi);
    expect(types()).toEqual(['charge.refunded', 'refund.created', 'charge.refunded', 'refund.created']);
    expect(objectOf<Stripe.Charge>(received[0]!)).toMatchObject({ amount_refunded: 1000, refunded: false, payment_intent: pi });
    expect(objectOf<Stripe.Refund>(received[1]!)).toMatchObject({ amount: 1000, status: 'succeeded', payment_intent: pi });
    expect(objectOf<Stripe.Charge>(received[2]!)).toMatchObject({ amount_refunded: 2500, refunded: true });
    expect(objectOf<Stripe.Refund>(received[3]!).amount).toBe(1500);
    await expect(emulator.refund(pi, 1)).rejects.toThrow(/greater than/);
  });

  it('dispute lost and won: created + funds_withdrawn, then closed (+ funds_reinstated when won)', async () => {
    const { emulator, received, types, pi } = await paid();
    const dp = await emulator.dispute(pi, { amount: 2000 });
    expect(dp).toMatch(/^dp_/);
    expect(types()).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
    expect(objectOf<Stripe.Dispute>(received[0]!)).toMatchObject({
      id: dp,
      amount: 2000,
      status: 'needs_response',
      payment_intent: pi,
      reason: 'fraudulent',
    });
    await expect(emulator.refund(pi)).rejects.toThrow(/dispute/);
    await expect(emulator.dispute(pi)).rejects.toThrow(/already/);
    await emulator.closeDispute(dp, 'won');
    expect(types().slice(2)).toEqual(['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    expect(objectOf<Stripe.Dispute>(received[2]!).status).toBe('won');
    await expect(emulator.closeDispute(dp, 'lost')).rejects.toThrow();

    const other = await paid();
    const dp2 = await other.emulator.dispute(other.pi);
    await other.emulator.closeDispute(dp2, 'lost');
    expect(other.types()).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
    expect(objectOf<Stripe.Dispute>(other.received[2]!)).toMatchObject({ status: 'lost', amount: 2500 });
  });

  it('refunds and disputes of a renewal reach the renewal payment intent', async () => {
    const { stripe, emulator, received } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    await emulator.completeCheckout(s.id);
    const subId = (await stripe.checkout.sessions.retrieve(s.id)).subscription as string;
    await emulator.renewSubscription(subId);
    const inpay = objectOf<Stripe.InvoicePayment>(received.at(-1)!);
    await emulator.refund(inpay.payment.payment_intent as string, 300);
    expect(objectOf<Stripe.Charge>(received.at(-2)!)).toMatchObject({ amount_refunded: 300, payment_intent: inpay.payment.payment_intent });
  });
});

describe('event snapshots', () => {
  it('an earlier event is not rewritten by later changes', async () => {
    const { stripe, emulator } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    const pi = (await stripe.checkout.sessions.retrieve(s.id)).payment_intent as string;
    await emulator.refund(pi, 500);
    const first = emulator.events().find((e) => e.type === 'charge.succeeded')!;
    expect((first.data.object as Stripe.Charge).amount_refunded).toBe(0);
  });
});
