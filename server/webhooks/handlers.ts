import { type Transaction, sql } from 'kysely';
import type Stripe from 'stripe';
import type { Database, Gift, GiftStatus } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { type TotalsBatch, lockStripeIds, recomputeByPaymentIntent, recordPayment } from '../ledger/service.js';
import { maskEmail } from '../logger.js';

export interface HandlerResult {
  outcome: 'processed' | 'ignored';
  detail?: string;
}

export interface HandlerContext {
  trx: Transaction<Database>;
  batch: TotalsBatch;
  event: Stripe.Event;
  deps: Pick<AppDeps, 'log' | 'clock'>;
  /** Facts fetched from Stripe before the transaction (see prefetch). */
  prefetched: { chargePaymentIntent?: string | null; chargeAmountRefunded?: number; chargeId?: string; invoicePaymentIntent?: string | null };
}

type Handler = (ctx: HandlerContext) => Promise<HandlerResult>;

const ignored = (detail: string): HandlerResult => ({ outcome: 'ignored', detail });
const processed = (detail?: string): HandlerResult => ({ outcome: 'processed', ...(detail ? { detail } : {}) });
const idOf = (x: string | { id: string } | null | undefined): string | null => (x == null ? null : typeof x === 'string' ? x : x.id);

/** Gift status only moves forward: money that arrived is never "pending" or "expired" again. */
const STATUS_RANK: Record<GiftStatus, number> = { created: 0, expired: 1, pending: 2, failed: 3, paid: 4, voided: 5 };

async function setGiftStatus(trx: Transaction<Database>, gift: Gift, status: GiftStatus) {
  if (STATUS_RANK[status] <= STATUS_RANK[gift.status]) return;
  await trx.updateTable('gifts').set({ status, updated_at: sql`now()` }).where('id', '=', gift.id).execute();
  gift.status = status;
}

async function findGift(trx: Transaction<Database>, by: { giftId?: string | null; sessionId?: string | null; subscriptionId?: string | null }): Promise<Gift | undefined> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  let q = trx.selectFrom('gifts').selectAll().where('source', '=', 'stripe');
  if (by.giftId && uuid.test(by.giftId)) q = q.where('id', '=', by.giftId);
  else if (by.sessionId) q = q.where('checkout_session_id', '=', by.sessionId);
  else if (by.subscriptionId) q = q.where('subscription_id', '=', by.subscriptionId);
  else return undefined;
  return q.forUpdate().executeTakeFirst();
}

/**
 * The PaymentIntent that paid an invoice, if invoice_payment.paid told us already. Once known,
 * it is locked too: a dispute or refund of that PaymentIntent running at the same time would
 * otherwise not see the payment this transaction is about to write (and vice versa).
 * Lock order stays acyclic: every handler takes in_… before pi_… and nobody takes pi_… before sub_….
 */
async function linkedPaymentIntent(trx: Transaction<Database>, invoiceId: string): Promise<string | null> {
  const link = await trx.selectFrom('stripe_invoice_payments').where('invoice_id', '=', invoiceId).select('payment_intent_id').executeTakeFirst();
  if (!link) return null;
  await lockStripeIds(trx, [link.payment_intent_id]);
  return link.payment_intent_id;
}

/** Parks an event whose subscription no gift knows yet (see migration 0004). */
async function park(trx: Transaction<Database>, eventId: string, subscriptionId: string): Promise<HandlerResult> {
  await trx.insertInto('stripe_parked_events').values({ event_id: eventId, subscription_id: subscriptionId }).onConflict((oc) => oc.doNothing()).execute();
  return ignored('parked: subscription of no known gift yet');
}

/** Replays, in order, the parked events of a subscription its gift has just learnt about. */
async function replayParked(ctx: HandlerContext, subscriptionId: string): Promise<void> {
  const parked = await ctx.trx
    .deleteFrom('stripe_parked_events')
    .where('subscription_id', '=', subscriptionId)
    .returning('event_id')
    .execute();
  if (!parked.length) return;
  const rows = await ctx.trx
    .selectFrom('stripe_events')
    .where('id', 'in', parked.map((p) => p.event_id))
    .select(['id', 'payload'])
    .orderBy('created')
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const parkedEvent = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Stripe.Event;
    const handler = handlers[parkedEvent.type];
    if (!handler) continue;
    const result = await handler({ ...ctx, event: parkedEvent, prefetched: {} });
    await ctx.trx.updateTable('stripe_events').set({ outcome: result.outcome, detail: `replayed: ${result.detail ?? ''}` }).where('id', '=', row.id).execute();
  }
}

/** checkout.session.completed / async_payment_succeeded / async_payment_failed. */
const onCheckoutSession: Handler = async (ctx) => {
  const { trx, batch, event, deps } = ctx;
  const s = event.data.object as Stripe.Checkout.Session;
  const paymentIntentId = idOf(s.payment_intent);
  const invoiceId = idOf(s.invoice);
  const subscriptionId = idOf(s.subscription);
  await lockStripeIds(trx, [s.id, paymentIntentId, invoiceId, subscriptionId]);
  const gift = await findGift(trx, { giftId: s.metadata?.gift_id ?? s.client_reference_id, sessionId: s.id });
  if (!gift) return ignored('checkout session of no gift of ours');

  const payerEmail = s.customer_details?.email ?? s.customer_email ?? null;
  await trx
    .updateTable('gifts')
    .set({
      checkout_session_id: gift.checkout_session_id ?? s.id,
      payment_intent_id: gift.payment_intent_id ?? paymentIntentId,
      subscription_id: gift.subscription_id ?? subscriptionId,
      customer_id: gift.customer_id ?? idOf(s.customer),
      email: gift.email ?? payerEmail,
      updated_at: sql`now()`,
    })
    .where('id', '=', gift.id)
    .execute();
  gift.email = gift.email ?? payerEmail;
  if (subscriptionId && !gift.subscription_id) {
    gift.subscription_id = subscriptionId;
    await replayParked(ctx, subscriptionId);
    // A replayed invoice may have marked the gift paid: never step back from what it wrote.
    gift.status = (await trx.selectFrom('gifts').where('id', '=', gift.id).select('status').executeTakeFirstOrThrow()).status;
  }

  if (event.type === 'checkout.session.async_payment_failed') {
    await setGiftStatus(trx, gift, 'failed');
    return processed('async payment failed');
  }
  if (s.payment_status === 'unpaid') {
    await setGiftStatus(trx, gift, 'pending');
    return processed('awaiting async payment');
  }
  if (s.payment_status !== 'paid') return ignored(`payment_status ${s.payment_status}`);

  if (s.amount_total != null && s.amount_total !== gift.charge_amount) {
    deps.log.warn({ giftId: gift.id, expected: gift.charge_amount, got: s.amount_total }, 'checkout amount differs from our record; counting what Stripe charged');
  }
  const amount = s.amount_total ?? gift.charge_amount;
  const currency = s.currency ?? gift.currency;
  const paidAt = new Date(event.created * 1000);
  if (s.mode === 'subscription') {
    // The first payment of a monthly gift arrives twice: here and as invoice.paid
    // (billing_reason subscription_create). Both are keyed by the invoice id, so it counts once.
    if (!invoiceId) return ignored('subscription checkout without invoice id');
    const paymentIntent = await linkedPaymentIntent(trx, invoiceId);
    await recordPayment(trx, { gift, sourceKey: invoiceId, kind: 'first', paymentIntentId: paymentIntent, amount, currency, paidAt, payerEmail }, batch);
  } else {
    if (!paymentIntentId) return ignored('paid checkout without payment intent');
    await recordPayment(trx, { gift, sourceKey: paymentIntentId, kind: 'one_time', paymentIntentId, amount, currency, paidAt, payerEmail }, batch);
  }
  await setGiftStatus(trx, gift, 'paid');
  deps.log.info({ giftId: gift.id, amount, currency, donor: maskEmail(gift.email) }, 'gift paid');
  return processed();
};

const onCheckoutExpired: Handler = async ({ trx, event }) => {
  const s = event.data.object as Stripe.Checkout.Session;
  await lockStripeIds(trx, [s.id]);
  const gift = await findGift(trx, { giftId: s.metadata?.gift_id ?? s.client_reference_id, sessionId: s.id });
  if (!gift) return ignored('checkout session of no gift of ours');
  await setGiftStatus(trx, gift, 'expired');
  return processed();
};

/** invoice.paid (and invoice.payment_succeeded, its twin): first payments and renewals. */
const onInvoicePaid: Handler = async (ctx) => {
  const { trx, batch, event } = ctx;
  const inv = event.data.object as Stripe.Invoice;
  if (inv.status !== 'paid') return ignored(`invoice status ${inv.status}`);
  // API 2026-10-28: an invoice names its subscription under parent.subscription_details.
  const details = inv.parent?.subscription_details;
  const subscriptionId = idOf(details?.subscription as string | { id: string } | null | undefined);
  if (!subscriptionId || !inv.id) return ignored('invoice without subscription');
  await lockStripeIds(trx, [inv.id, subscriptionId]);
  const gift = await findGift(trx, { giftId: details?.metadata?.gift_id, subscriptionId });
  if (!gift) return park(trx, event.id, subscriptionId);
  if (!gift.subscription_id) {
    await trx.updateTable('gifts').set({ subscription_id: subscriptionId, customer_id: gift.customer_id ?? idOf(inv.customer as string | null) }).where('id', '=', gift.id).execute();
    gift.subscription_id = subscriptionId;
    // Subscription events that came before and named no gift can be applied now.
    await replayParked(ctx, subscriptionId);
  }
  if (ctx.prefetched.invoicePaymentIntent) {
    // Learnt from the invoice itself or GET /v1/invoice_payments: the same fact invoice_payment.paid
    // would bring, recorded now so a refund of this renewal finds it even if that event never comes.
    await trx.insertInto('stripe_invoice_payments').values({ invoice_id: inv.id, payment_intent_id: ctx.prefetched.invoicePaymentIntent }).onConflict((oc) => oc.column('invoice_id').doNothing()).execute();
  }
  const paymentIntent = await linkedPaymentIntent(trx, inv.id);
  const paidAtSec = inv.status_transitions?.paid_at ?? event.created;
  const kind = inv.billing_reason === 'subscription_create' ? 'first' : 'renewal';
  await recordPayment(
    trx,
    {
      gift,
      sourceKey: inv.id,
      kind,
      paymentIntentId: paymentIntent,
      amount: inv.amount_paid,
      currency: inv.currency,
      paidAt: new Date(paidAtSec * 1000),
      payerEmail: inv.customer_email,
    },
    batch,
  );
  await setGiftStatus(trx, gift, 'paid');
  return processed(kind);
};

/** invoice_payment.paid: which PaymentIntent paid an invoice, so that a renewal's refunds and
 * disputes (which name only the PaymentIntent/Charge) find their payment. */
const onInvoicePaymentPaid: Handler = async ({ trx, batch, event }) => {
  const ip = event.data.object as Stripe.InvoicePayment;
  const invoiceId = idOf(ip.invoice as string | { id: string });
  const paymentIntentId = idOf(ip.payment?.payment_intent as string | { id: string } | undefined);
  if (!invoiceId || !paymentIntentId) return ignored('invoice payment without payment intent');
  await lockStripeIds(trx, [invoiceId, paymentIntentId]);
  await trx.insertInto('stripe_invoice_payments').values({ invoice_id: invoiceId, payment_intent_id: paymentIntentId }).onConflict((oc) => oc.column('invoice_id').doNothing()).execute();
  const updated = await trx.updateTable('payments').set({ payment_intent_id: paymentIntentId }).where('source_key', '=', invoiceId).where('payment_intent_id', 'is', null).returning('id').execute();
  if (updated.length) await recomputeByPaymentIntent(trx, paymentIntentId, batch);
  return processed();
};

/** charge.refunded (and refund.* via a fetched charge): the cumulative amount_refunded of the
 * charge, newest snapshot wins (by event time; on a tie the larger, since refunds only grow
 * within one second). Never subtract event amounts: duplicates and reordering would drift. */
const onChargeRefundSnapshot: Handler = async ({ trx, batch, event, prefetched }) => {
  let chargeId: string | null;
  let paymentIntentId: string | null;
  let amountRefunded: number;
  if ((event.data.object as { object?: string }).object === 'refund') {
    if (prefetched.chargeId == null || prefetched.chargeAmountRefunded == null) return ignored('refund covered by charge.refunded');
    chargeId = prefetched.chargeId;
    paymentIntentId = prefetched.chargePaymentIntent ?? null;
    amountRefunded = prefetched.chargeAmountRefunded;
  } else {
    const ch = event.data.object as Stripe.Charge;
    chargeId = ch.id;
    paymentIntentId = idOf(ch.payment_intent);
    amountRefunded = ch.amount_refunded;
  }
  if (!paymentIntentId || !chargeId) return ignored('charge without payment intent');
  await lockStripeIds(trx, [paymentIntentId]);
  await trx
    .insertInto('stripe_charge_refunds')
    .values({ charge_id: chargeId, payment_intent_id: paymentIntentId, amount_refunded: amountRefunded, as_of: event.created })
    .onConflict((oc) =>
      oc.column('charge_id').doUpdateSet({ amount_refunded: amountRefunded, as_of: event.created }).where((eb) =>
        eb.or([
          eb('stripe_charge_refunds.as_of', '<', event.created),
          eb.and([eb('stripe_charge_refunds.as_of', '=', event.created), eb('stripe_charge_refunds.amount_refunded', '<', amountRefunded)]),
        ]),
      ),
    )
    .execute();
  const n = await recomputeByPaymentIntent(trx, paymentIntentId, batch);
  return n ? processed() : processed('refund recorded before its payment');
};

/** Ordering of dispute states for events that carry the same timestamp. */
const DISPUTE_RANK: Record<string, number> = {
  warning_needs_response: 0, warning_under_review: 1, warning_closed: 2, needs_response: 3, under_review: 4,
  lost: 5, appeal_needs_response: 6, appeal_under_review: 7, won: 8, prevented: 8,
};

const onDispute: Handler = async ({ trx, batch, event, prefetched }) => {
  const d = event.data.object as Stripe.Dispute;
  const paymentIntentId = idOf(d.payment_intent) ?? prefetched.chargePaymentIntent ?? null;
  if (!paymentIntentId) return ignored('dispute without payment intent');
  await lockStripeIds(trx, [paymentIntentId]);
  const existing = await trx.selectFrom('stripe_disputes').where('dispute_id', '=', d.id).select(['status', 'as_of']).forUpdate().executeTakeFirst();
  const newer = !existing || existing.as_of < event.created ||
    (existing.as_of === event.created && (DISPUTE_RANK[d.status] ?? 0) >= (DISPUTE_RANK[existing.status] ?? 0));
  if (!existing) {
    await trx.insertInto('stripe_disputes').values({ dispute_id: d.id, payment_intent_id: paymentIntentId, charge_id: idOf(d.charge), amount: d.amount, status: d.status, as_of: event.created }).execute();
  } else if (newer) {
    await trx.updateTable('stripe_disputes').set({ amount: d.amount, status: d.status, as_of: event.created }).where('dispute_id', '=', d.id).execute();
  } else {
    return processed('older dispute state; kept the newer one');
  }
  await recomputeByPaymentIntent(trx, paymentIntentId, batch);
  return processed(d.status);
};

const onSubscriptionChange: Handler = async ({ trx, event }) => {
  const sub = event.data.object as Stripe.Subscription;
  await lockStripeIds(trx, [sub.id]);
  const gift = await findGift(trx, { giftId: sub.metadata?.gift_id, subscriptionId: sub.id });
  if (!gift) return park(trx, event.id, sub.id);
  const status = event.type === 'customer.subscription.deleted' ? 'canceled' : sub.status;
  await trx.updateTable('gifts').set({ subscription_id: gift.subscription_id ?? sub.id, subscription_status: status, updated_at: sql`now()` }).where('id', '=', gift.id).execute();
  return processed(status);
};

export const handlers: Record<string, Handler> = {
  'checkout.session.completed': onCheckoutSession,
  'checkout.session.async_payment_succeeded': onCheckoutSession,
  'checkout.session.async_payment_failed': onCheckoutSession,
  'checkout.session.expired': onCheckoutExpired,
  'invoice.paid': onInvoicePaid,
  'invoice.payment_succeeded': onInvoicePaid,
  'invoice_payment.paid': onInvoicePaymentPaid,
  'charge.refunded': onChargeRefundSnapshot,
  'charge.refund.updated': onChargeRefundSnapshot,
  'refund.failed': onChargeRefundSnapshot,
  'refund.updated': onChargeRefundSnapshot,
  'charge.dispute.created': onDispute,
  'charge.dispute.updated': onDispute,
  'charge.dispute.closed': onDispute,
  'charge.dispute.funds_withdrawn': onDispute,
  'charge.dispute.funds_reinstated': onDispute,
  'customer.subscription.created': onSubscriptionChange,
  'customer.subscription.updated': onSubscriptionChange,
  'customer.subscription.deleted': onSubscriptionChange,
};
