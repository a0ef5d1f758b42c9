import { randomBytes } from 'node:crypto';

/**
 * Stripe events shaped as API version 2026-10-28.endive sends them (fields checked against the
 * SDK's .d.ts): an Invoice names its subscription under parent.subscription_details and has no
 * top-level payment_intent; subscription PaymentIntents carry no metadata.
 */
let seq = 0;
export const sid = (prefix: string) => `${prefix}_test_${(++seq).toString(36)}${randomBytes(6).toString('hex')}`;

export function event(type: string, object: object, created: number) {
  return {
    id: sid('evt'),
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

export interface GiftRef {
  id: string;
  amount: number;
  campaignSlug: string;
  email?: string | null;
  currency?: string;
}

export function checkoutSession(
  g: GiftRef,
  o: {
    mode?: 'payment' | 'subscription';
    paymentStatus?: 'paid' | 'unpaid';
    sessionId?: string;
    paymentIntent?: string | null;
    subscription?: string | null;
    invoice?: string | null;
    email?: string | null;
  } = {},
) {
  const mode = o.mode ?? 'payment';
  return {
    id: o.sessionId ?? sid('cs'),
    object: 'checkout.session',
    mode,
    status: 'complete',
    payment_status: o.paymentStatus ?? 'paid',
    amount_subtotal: g.amount,
    amount_total: g.amount,
    currency: (g.currency ?? 'usd').toLowerCase(),
    client_reference_id: g.id,
    customer: mode === 'subscription' ? sid('cus') : null,
    customer_details: { email: o.email === undefined ? (g.email ?? null) : o.email, name: null },
    customer_email: g.email ?? null,
    metadata: { gift_id: g.id, campaign: g.campaignSlug },
    payment_intent: mode === 'payment' ? (o.paymentIntent ?? null) : null,
    subscription: mode === 'subscription' ? (o.subscription ?? null) : null,
    invoice: mode === 'subscription' ? (o.invoice ?? null) : null,
    livemode: false,
    submit_type: 'donate',
  };
}

export function invoice(
  g: GiftRef,
  o: {
    id: string;
    subscription: string;
    billingReason: 'subscription_create' | 'subscription_cycle';
    paidAt: number;
    amount?: number;
    email?: string | null;
  },
) {
  return {
    id: o.id,
    object: 'invoice',
    amount_due: o.amount ?? g.amount,
    amount_paid: o.amount ?? g.amount,
    amount_remaining: 0,
    billing_reason: o.billingReason,
    currency: (g.currency ?? 'usd').toLowerCase(),
    customer: 'cus_test',
    customer_email: o.email === undefined ? (g.email ?? null) : o.email,
    livemode: false,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: o.subscription, metadata: { gift_id: g.id, campaign: g.campaignSlug } },
    },
    status: 'paid',
    status_transitions: { finalized_at: o.paidAt, paid_at: o.paidAt, marked_uncollectible_at: null, voided_at: null },
  };
}

export function invoicePayment(invoiceId: string, paymentIntent: string, amount: number) {
  return {
    id: sid('inpay'),
    object: 'invoice_payment',
    amount_paid: amount,
    amount_requested: amount,
    currency: 'usd',
    invoice: invoiceId,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: paymentIntent },
    status: 'paid',
  };
}

export function charge(o: { id: string; paymentIntent: string; amount: number; amountRefunded: number }) {
  return {
    id: o.id,
    object: 'charge',
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: o.amountRefunded,
    captured: true,
    currency: 'usd',
    paid: true,
    payment_intent: o.paymentIntent,
    refunded: o.amountRefunded >= o.amount,
    status: 'succeeded',
    livemode: false,
  };
}

export function dispute(o: { id: string; charge: string; paymentIntent: string; amount: number; status: string }) {
  return {
    id: o.id,
    object: 'dispute',
    amount: o.amount,
    charge: o.charge,
    currency: 'usd',
    payment_intent: o.paymentIntent,
    reason: 'fraudulent',
    status: o.status,
    livemode: false,
    is_charge_refundable: false,
  };
}
