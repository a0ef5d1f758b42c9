import type Stripe from 'stripe';
import { type BalanceFact, recordBalanceTransaction, recordPayout } from '../ledger/books.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import { maskEmail } from '../logger.js';
import { amountOf, applyCardSetup, queueGiftMail } from '../manage/service.js';

/**
 * Stripe events → ledger calls. Each handler receives the event narrowed by the SDK's own types
 * (STYLE 14) and holds no SQL (STYLE 13): `prefetch` reads the API outside the transaction (the
 * objects of an event in another API version, facts an event does not carry), `apply` translates
 * the event into ledger calls inside it.
 */

export const HANDLED_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice_payment.paid',
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  // The books (fee, net, payout): no money moves in the campaign totals.
  'charge.succeeded',
  'payout.paid',
  'invoice.payment_failed',
  'customer.source.expiring',
  'invoice.upcoming',
] as const satisfies readonly Stripe.Event['type'][];

export type HandledType = (typeof HANDLED_TYPES)[number];
export type EventOf<T extends HandledType> = Extract<Stripe.Event, { type: T }>;
export type HandledEvent = EventOf<HandledType>;

export const isHandledType = (t: string): t is HandledType => HANDLED_TYPES.some((h) => h === t);

export interface Applied {
  outcome: 'processed' | 'ignored' | 'parked';
  detail?: string;
  /** Metadata that disagreed with Stripe's ids: shown to the admin, followed nowhere. */
  conflict?: string;
}

export interface ApplyContext {
  ledger: Ledger;
  /** The event's object was re-read now (another API version): its state is the current one,
   * not the one at event.created. */
  reread: boolean;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Applies a parked event again (same transaction). */
  replay(event: HandledEvent): Promise<Applied>;
  /** A monthly gift's signed manage link, for the mails a fact causes (failed payment, expiring card). */
  manageUrl?: (giftId: string) => string;
}

export interface PrefetchContext {
  stripe: Stripe;
  /** The event is in another API version: its objects must be re-read (SPEC §5 "Any API version"). */
  reread: boolean;
}

/** O is the event's object type (one per family: Session, Invoice, Refund...). */
interface Handler<in E extends HandledEvent, O = E['data']['object']> {
  /** API reads, outside the transaction. Returns the object to apply (re-read or completed). */
  prefetch(event: E, ctx: PrefetchContext): Promise<O>;
  apply(event: E, ctx: ApplyContext): Promise<Applied>;
}

/** A Stripe object named in an event could not be read: the event stays retriable. */
export class UnreadableObjectError extends Error {}

const ignored = (detail: string, conflict?: string | null): Applied => ({ outcome: 'ignored', detail, ...(conflict ? { conflict } : {}) });
const processed = (detail?: string, conflict?: string | null): Applied => ({
  outcome: 'processed',
  ...(detail ? { detail } : {}),
  ...(conflict ? { conflict } : {}),
});
const idOf = (x: string | { id: string } | null | undefined): string | null => (x == null ? null : typeof x === 'string' ? x : x.id);
const dateOf = (unix: number) => new Date(unix * 1000);

/** Replaces the event's object by the one read now in the pinned version, keeping the envelope. */
function withObject<E extends HandledEvent>(event: E, object: E['data']['object']): E {
  return { ...event, data: { ...event.data, object } };
}

// ---- checkout ----

type SessionEvent = EventOf<
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired'
>;

const rereadSession = async (event: SessionEvent, { stripe, reread }: PrefetchContext): Promise<Stripe.Checkout.Session> =>
  reread ? stripe.checkout.sessions.retrieve(event.data.object.id) : event.data.object;

/** The gift a session belongs to: its session id, then its PaymentIntent or subscription, and
 * only then our metadata. */
async function giftOfSession(ledger: Ledger, s: Stripe.Checkout.Session) {
  const paymentIntentId = idOf(s.payment_intent);
  const invoiceId = idOf(s.invoice);
  const subscriptionId = idOf(s.subscription);
  await ledger.lock([s.id, paymentIntentId, invoiceId, subscriptionId]);
  return ledger.findGift({
    sessionId: s.id,
    sourceKey: paymentIntentId ?? invoiceId,
    subscriptionId,
    hint: s.metadata?.gift_id ?? s.client_reference_id,
  });
}

async function replayParked(ctx: ApplyContext, subscriptionId: string): Promise<void> {
  for (const parked of await ctx.ledger.takeParked(subscriptionId)) {
    if (isHandledEvent(parked.event)) {
      const result = await ctx.replay(parked.event);
      await ctx.ledger.finishEvent(parked.id, result.outcome, `replayed: ${result.detail ?? ''}`, result.conflict ?? null);
    }
  }
}

const checkoutSession: Handler<
  EventOf<'checkout.session.completed' | 'checkout.session.async_payment_succeeded' | 'checkout.session.async_payment_failed'>
> = {
  prefetch: rereadSession,
  async apply(event, ctx) {
    const { ledger } = ctx;
    const s = event.data.object;
    const { gift, conflict } = await giftOfSession(ledger, s);
    if (!gift) return ignored('checkout session of no gift of ours', conflict);
    const paymentIntentId = idOf(s.payment_intent);
    const invoiceId = idOf(s.invoice);
    const subscriptionId = idOf(s.subscription);
    const payerEmail = s.customer_details?.email ?? s.customer_email ?? null;
    // A paid one-time checkout: the gift's ids, its status 'paid' and its payment in one
    // statement (recordPayment's attach; nothing parked waits on a gift without a subscription).
    const paidOnce =
      event.type !== 'checkout.session.async_payment_failed' &&
      s.payment_status === 'paid' &&
      s.mode !== 'subscription' &&
      !subscriptionId &&
      paymentIntentId !== null;
    const ids = { sessionId: s.id, paymentIntentId, subscriptionId, customerId: idOf(s.customer), email: payerEmail };
    const learnt = paidOnce ? false : await ledger.attachToGift(gift, ids);
    if (learnt && subscriptionId) await replayParked(ctx, subscriptionId);

    if (event.type === 'checkout.session.async_payment_failed') {
      await ledger.setGiftStatus(gift, 'failed');
      return processed('async payment failed', conflict);
    }
    if (s.payment_status === 'unpaid') {
      await ledger.setGiftStatus(gift, 'pending');
      return processed('awaiting async payment', conflict);
    }
    if (s.payment_status !== 'paid') return ignored(`payment_status ${s.payment_status}`, conflict);

    if (s.amount_total != null && s.amount_total !== gift.charge_amount) {
      ctx.log.warn(
        { giftId: gift.id, expected: gift.charge_amount, got: s.amount_total },
        'checkout amount differs from our record; counting what Stripe charged',
      );
    }
    const amount = s.amount_total ?? gift.charge_amount;
    const currency = s.currency ?? gift.currency;
    // SPEC §5: the gift belongs to the window in which the donor started Checkout.
    const countedAt = typeof s.created === 'number' ? dateOf(s.created) : gift.created_at;
    const paidAt = dateOf(event.created);
    if (s.mode === 'subscription') {
      // The first payment of a monthly gift arrives twice: here and as invoice.paid
      // (billing_reason subscription_create). Both are keyed by the invoice id, so it counts once.
      if (!invoiceId) return ignored('subscription checkout without invoice id', conflict);
      const [paymentIntent = null] = await ledger.paymentIntentsOfInvoice(invoiceId);
      await ledger.recordPayment({
        gift,
        sourceKey: invoiceId,
        kind: 'first',
        paymentIntentId: paymentIntent,
        amount,
        currency,
        paidAt,
        countedAt,
        payerEmail,
      });
    } else {
      if (!paymentIntentId) return ignored('paid checkout without payment intent', conflict);
      await ledger.recordPayment({
        gift,
        sourceKey: paymentIntentId,
        kind: 'one_time',
        paymentIntentId,
        amount,
        currency,
        paidAt,
        countedAt,
        payerEmail,
        ...(paidOnce && { attach: { ids, status: 'paid' as const } }),
      });
    }
    if (!paidOnce) await ledger.setGiftStatus(gift, 'paid');
    ctx.log.info({ giftId: gift.id, amount, currency, donor: maskEmail(gift.email) }, 'gift paid');
    return processed(undefined, conflict);
  },
};

/**
 * checkout.session.completed in setup mode: a monthly donor added a card from the manage page.
 * Checkout does not attach it to the subscription; prefetch does (an idempotent Stripe update,
 * outside the transaction, retried with the event if Stripe is away). The subscription's own
 * customer.subscription.updated then comes back like any other fact.
 */
const checkoutCompleted: Handler<EventOf<'checkout.session.completed'>> = {
  async prefetch(event, ctx) {
    const s = await rereadSession(event, ctx);
    if (s.mode === 'setup') {
      const outcome = await applyCardSetup(ctx.stripe, s);
      return { ...s, metadata: { ...s.metadata, card_setup: outcome } };
    }
    return s;
  },
  async apply(event, ctx) {
    const s = event.data.object;
    if (s.mode === 'setup') {
      const outcome = s.metadata?.card_setup ?? 'not_ours';
      return outcome === 'updated' ? processed('card of a monthly gift updated') : ignored(`setup session: ${outcome}`);
    }
    return checkoutSession.apply(event, ctx);
  },
};

const checkoutExpired: Handler<EventOf<'checkout.session.expired'>> = {
  prefetch: rereadSession,
  async apply(event, { ledger }) {
    const { gift, conflict } = await giftOfSession(ledger, event.data.object);
    if (!gift) return ignored('checkout session of no gift of ours', conflict);
    await ledger.setGiftStatus(gift, 'expired');
    return processed(undefined, conflict);
  },
};

// ---- invoices ----

/** API 2026-10-28: an invoice names its subscription under parent.subscription_details. */
const subscriptionOfInvoice = (inv: Stripe.Invoice) => idOf(inv.parent?.subscription_details?.subscription);

/** The PaymentIntents that paid an invoice, from its own `payments` list. */
const paidPaymentIntents = (inv: Stripe.Invoice) =>
  (inv.payments?.data ?? [])
    .filter((p) => idOf(p.invoice) === inv.id && p.status === 'paid')
    .map((p) => idOf(p.payment?.payment_intent))
    .filter((x): x is string => x !== null);

const invoicePaid: Handler<EventOf<'invoice.paid' | 'invoice.payment_succeeded'>> = {
  async prefetch(event, { stripe, reread }) {
    let inv = event.data.object;
    if (reread) inv = await stripe.invoices.retrieve(inv.id, { expand: ['payments'] });
    if (inv.status === 'paid' && subscriptionOfInvoice(inv) && !paidPaymentIntents(inv).length) {
      // Which PaymentIntents paid it: the same fact invoice_payment.paid brings, fetched now so a
      // refund of this renewal finds it even if that event never comes. Any failure is fine:
      // the money of the invoice itself never waits on it.
      try {
        const listed = await stripe.invoicePayments.list({ invoice: inv.id, limit: 100 }, { maxNetworkRetries: 0, timeout: 5_000 });
        inv = { ...inv, payments: listed };
      } catch {
        // invoice_payment.paid will tell
      }
    }
    return inv;
  },
  async apply(event, ctx) {
    const { ledger } = ctx;
    const inv = event.data.object;
    if (inv.status !== 'paid') return ignored(`invoice status ${inv.status}`);
    const subscriptionId = subscriptionOfInvoice(inv);
    if (!subscriptionId) return ignored('invoice without subscription');
    await ledger.lock([inv.id, subscriptionId]);
    const { gift, conflict } = await ledger.findGift({
      sourceKey: inv.id,
      subscriptionId,
      hint: inv.parent?.subscription_details?.metadata?.gift_id,
    });
    if (!gift) {
      await ledger.park(event.id, subscriptionId, event);
      return { outcome: 'parked', detail: 'subscription of no known gift yet', ...(conflict ? { conflict } : {}) };
    }
    // Subscription events that came before and named no gift can be applied now.
    if (await ledger.attachToGift(gift, { subscriptionId, customerId: idOf(inv.customer) })) await replayParked(ctx, subscriptionId);
    for (const pi of paidPaymentIntents(inv)) await ledger.linkInvoicePayment(inv.id, pi);
    const [paymentIntent = null] = await ledger.paymentIntentsOfInvoice(inv.id);
    const paidAt = dateOf(inv.status_transitions?.paid_at ?? event.created);
    const kind = inv.billing_reason === 'subscription_create' ? 'first' : 'renewal';
    await ledger.recordPayment({
      gift,
      sourceKey: inv.id,
      kind,
      paymentIntentId: paymentIntent,
      amount: inv.amount_paid,
      currency: inv.currency,
      paidAt,
      // A renewal belongs to the window by when it was paid; a first payment by when Checkout started.
      countedAt: kind === 'renewal' ? paidAt : gift.created_at,
      provisional: kind !== 'renewal',
      payerEmail: inv.customer_email,
    });
    await ledger.setGiftStatus(gift, 'paid');
    return processed(kind, conflict);
  },
};

/** invoice_payment.paid: which PaymentIntent paid (part of) an invoice, so that a renewal's
 * refunds and disputes (which name only the PaymentIntent/Charge) find their payment. */
const invoicePaymentPaid: Handler<EventOf<'invoice_payment.paid'>> = {
  prefetch: async (event, { stripe, reread }) => (reread ? stripe.invoicePayments.retrieve(event.data.object.id) : event.data.object),
  async apply(event, { ledger }) {
    const ip = event.data.object;
    const invoiceId = idOf(ip.invoice);
    const paymentIntentId = idOf(ip.payment?.payment_intent);
    if (!invoiceId || !paymentIntentId) return ignored('invoice payment without payment intent');
    if (ip.status !== 'paid') return ignored(`invoice payment ${ip.status}`);
    await ledger.lock([invoiceId, paymentIntentId]);
    await ledger.linkInvoicePayment(invoiceId, paymentIntentId);
    return processed();
  },
};

// ---- refunds ----

/** charge.refunded: the charge's cumulative amount_refunded. Never subtract event amounts:
 * duplicates and reordering would drift. */
const chargeRefunded: Handler<EventOf<'charge.refunded'>> = {
  prefetch: async (event, { stripe, reread }) => (reread ? stripe.charges.retrieve(event.data.object.id) : event.data.object),
  async apply(event, { ledger }) {
    const ch = event.data.object;
    const paymentIntentId = idOf(ch.payment_intent);
    if (!paymentIntentId) return ignored('charge without payment intent');
    await ledger.lock([paymentIntentId]);
    await ledger.recordChargeRefundSnapshot({ chargeId: ch.id, paymentIntentId, amountRefunded: ch.amount_refunded, asOf: event.created });
    return processed();
  },
};

/** refund.created / updated / failed and charge.refund.updated: one refund and its status. A
 * refund that names no PaymentIntent is completed from its charge; if the charge cannot be read,
 * the event stays retriable (never acknowledged as done). */
const refundChanged: Handler<EventOf<'refund.created' | 'refund.updated' | 'refund.failed' | 'charge.refund.updated'>> = {
  async prefetch(event, { stripe, reread }) {
    let r = event.data.object;
    if (reread) r = await stripe.refunds.retrieve(r.id);
    if (!idOf(r.payment_intent)) {
      const chargeId = idOf(r.charge);
      if (!chargeId) throw new UnreadableObjectError('refund names neither a payment intent nor a charge');
      const charge = await stripe.charges.retrieve(chargeId);
      r = { ...r, payment_intent: idOf(charge.payment_intent) };
    }
    return r;
  },
  async apply(event, { ledger, reread }) {
    const r = event.data.object;
    const paymentIntentId = idOf(r.payment_intent);
    if (!paymentIntentId) return ignored('refund of a charge without payment intent');
    const status = r.status ?? 'pending';
    await ledger.lock([paymentIntentId]);
    await ledger.recordRefund({
      refundId: r.id,
      chargeId: idOf(r.charge),
      paymentIntentId,
      amount: r.amount,
      status,
      created: r.created,
      asOf: event.created,
      // When it failed is known only from an event that carries the failure itself; a re-read
      // shows today's status, not when it changed.
      failedAt: !reread && (status === 'failed' || status === 'canceled') ? event.created : null,
    });
    return processed(status);
  },
};

// ---- disputes ----

const disputeChanged: Handler<
  EventOf<
    | 'charge.dispute.created'
    | 'charge.dispute.updated'
    | 'charge.dispute.closed'
    | 'charge.dispute.funds_withdrawn'
    | 'charge.dispute.funds_reinstated'
  >
> = {
  async prefetch(event, { stripe, reread }) {
    let d = event.data.object;
    if (reread) d = await stripe.disputes.retrieve(d.id);
    if (!idOf(d.payment_intent)) {
      const charge = typeof d.charge === 'string' ? await stripe.charges.retrieve(d.charge) : d.charge;
      d = { ...d, payment_intent: idOf(charge.payment_intent) };
    }
    return d;
  },
  async apply(event, { ledger }) {
    const d = event.data.object;
    const paymentIntentId = idOf(d.payment_intent);
    if (!paymentIntentId) return ignored('dispute without payment intent');
    await ledger.lock([paymentIntentId]);
    const applied = await ledger.recordDispute({
      disputeId: d.id,
      paymentIntentId,
      chargeId: idOf(d.charge),
      amount: d.amount,
      status: d.status,
      asOf: event.created,
    });
    return processed(applied ? d.status : 'older dispute state; kept the newer one');
  },
};

// ---- subscriptions ----

const subscriptionChanged: Handler<
  EventOf<'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted'>
> = {
  prefetch: async (event, { stripe, reread }) => (reread ? stripe.subscriptions.retrieve(event.data.object.id) : event.data.object),
  async apply(event, ctx) {
    const { ledger } = ctx;
    const sub = event.data.object;
    await ledger.lock([sub.id]);
    const { gift, conflict } = await ledger.findGift({ subscriptionId: sub.id, hint: sub.metadata?.gift_id });
    if (!gift) {
      await ledger.park(event.id, sub.id, event);
      return { outcome: 'parked', detail: 'subscription of no known gift yet', ...(conflict ? { conflict } : {}) };
    }
    // Invoices parked before this named the gift (say, with metadata naming another gift) apply now.
    if (await ledger.attachToGift(gift, { subscriptionId: sub.id })) await replayParked(ctx, sub.id);
    const status = event.type === 'customer.subscription.deleted' ? 'canceled' : sub.status;
    // Stripe's order of facts: the subscription's own cancellation time, then the event's.
    const asOf = Math.max(event.created, status === 'canceled' ? (sub.canceled_at ?? sub.ended_at ?? 0) : 0);
    const canceled = status === 'canceled';
    const amount = amountOf(sub);
    const changed = await ledger.setSubscriptionState(gift, {
      subscriptionId: sub.id,
      status,
      asOf,
      ...(amount !== undefined && { amount }),
      ...(canceled && {
        cancellation: { feedback: sub.cancellation_details?.feedback ?? null, comment: sub.cancellation_details?.comment ?? null },
      }),
    });
    if (canceled) {
      // The confirmation, once per subscription whoever canceled it (the donor, an admin, or
      // Stripe after failed payments); a redelivery finds the mail already queued.
      const why = sub.cancellation_details?.reason;
      await queueGiftMail(
        ledger.trx,
        'subscription.canceled',
        gift,
        { reason: why === 'payment_failed' ? 'payment_failed' : why === 'cancellation_requested' ? 'requested' : 'other' },
        { factKey: `subscription.canceled:${sub.id}`, at: dateOf(asOf), ...(amount !== undefined && { amount }) },
      );
    }
    return processed(changed ? status : `older status ${status}; kept the newer one`, conflict);
  },
};

// ---- the books: Stripe's fee, the net amount and the payout (server/ledger/books.ts) ----

/** A balance transaction as the books keep it. */
export function balanceFact(txn: Stripe.BalanceTransaction, paymentIntentId: string | null, payoutId: string | null = null): BalanceFact {
  return {
    id: txn.id,
    type: txn.type,
    reportingCategory: txn.reporting_category ?? null,
    sourceId: idOf(txn.source),
    paymentIntentId,
    currency: txn.currency,
    amount: txn.amount,
    fee: txn.fee,
    net: txn.net,
    created: txn.created,
    availableOn: txn.available_on ?? null,
    payoutId,
  };
}

/** The PaymentIntent behind a balance transaction's source (a charge, refund or dispute), when expanded. */
export function paymentIntentOfSource(source: Stripe.BalanceTransaction['source']): string | null {
  if (!source || typeof source === 'string') return null;
  if (source.object === 'charge' || source.object === 'refund' || source.object === 'dispute') return idOf(source.payment_intent);
  return null;
}

/** charge.succeeded: the charge's balance transaction (Stripe's fee and the net), read now. */
const chargeSucceeded: Handler<EventOf<'charge.succeeded'>> = {
  async prefetch(event, { stripe, reread }) {
    let ch = event.data.object;
    if (reread || typeof ch.balance_transaction === 'string') {
      ch = await stripe.charges.retrieve(ch.id, { expand: ['balance_transaction'] });
    }
    return ch;
  },
  async apply(event, { ledger }) {
    const ch = event.data.object;
    const txn = ch.balance_transaction;
    if (!txn || typeof txn === 'string') return ignored('charge without balance transaction yet');
    const learnt = await recordBalanceTransaction(ledger, balanceFact(txn, idOf(ch.payment_intent)));
    return processed(learnt ? 'fee and net recorded' : 'fee and net already known');
  },
};

/** The balance transactions a payout paid out, read in prefetch (outside the transaction). */
const payoutTransactions = new WeakMap<object, Stripe.BalanceTransaction[]>();

/** Every balance transaction of a payout, with its source expanded to find the PaymentIntent. */
export async function listPayoutTransactions(stripe: Stripe, payoutId: string): Promise<Stripe.BalanceTransaction[]> {
  const out: Stripe.BalanceTransaction[] = [];
  for await (const txn of stripe.balanceTransactions.list({ payout: payoutId, limit: 100, expand: ['data.source'] })) out.push(txn);
  return out;
}

/** payout.paid: the money reached the bank; each balance transaction in it learns its payout. */
const payoutPaid: Handler<EventOf<'payout.paid'>> = {
  async prefetch(event, { stripe, reread }) {
    const po = reread ? await stripe.payouts.retrieve(event.data.object.id) : event.data.object;
    payoutTransactions.set(po, await listPayoutTransactions(stripe, po.id));
    return po;
  },
  async apply(event, { ledger }) {
    const po = event.data.object;
    const txns = payoutTransactions.get(po);
    if (!txns) throw new UnreadableObjectError('payout transactions were not read');
    await recordPayout(ledger, {
      id: po.id,
      amount: po.amount,
      currency: po.currency,
      status: po.status,
      arrivalDate: po.arrival_date,
      created: po.created,
      asOf: event.created,
    });
    let learnt = 0;
    for (const txn of txns)
      if (await recordBalanceTransaction(ledger, balanceFact(txn, paymentIntentOfSource(txn.source), po.id))) learnt++;
    return processed(`${txns.length} balance transactions, ${learnt} newly matched`);
  },
};

// ---- monthly donors' mails ----

/** invoice.payment_failed of a renewal: the donor gets the update-card link, once per invoice
 * (Stripe retries a failed renewal several times; one mail about it is enough). The first payment
 * fails inside Checkout, in front of the donor: no mail for that. */
const invoicePaymentFailed: Handler<EventOf<'invoice.payment_failed'>> = {
  prefetch: async (event, { stripe, reread }) => (reread ? stripe.invoices.retrieve(event.data.object.id) : event.data.object),
  async apply(event, ctx) {
    const inv = event.data.object;
    const subscriptionId = subscriptionOfInvoice(inv);
    if (!subscriptionId) return ignored('invoice without subscription');
    if (inv.billing_reason === 'subscription_create') return ignored('first payment failed in Checkout');
    await ctx.ledger.lock([inv.id, subscriptionId]);
    const { gift } = await ctx.ledger.findGift({ subscriptionId });
    if (!gift) return ignored('subscription of no gift of ours');
    if (!ctx.manageUrl) return ignored('no manage links here');
    const queued = await queueGiftMail(
      ctx.ledger.trx,
      'payment.failed',
      gift,
      { manageUrl: ctx.manageUrl(gift.id) },
      { factKey: `payment.failed:${inv.id}`, at: dateOf(event.created), to: inv.customer_email, amount: inv.amount_due },
    );
    return processed(queued ? 'update-card mail queued' : 'mail already queued');
  },
};

/** customer.source.expiring: Stripe sends it for cards saved as sources, at the start of the
 * month they expire in. One mail per card and expiry date to each live monthly gift it pays. */
const sourceExpiring: Handler<EventOf<'customer.source.expiring'>> = {
  prefetch: async (event) => event.data.object,
  async apply(event, ctx) {
    const src = event.data.object;
    if (src.object !== 'card') return ignored(`expiring ${src.object}`);
    const customerId = idOf(src.customer);
    if (!customerId) return ignored('card of no customer');
    if (!ctx.manageUrl) return ignored('no manage links here');
    const gifts = await ctx.ledger.liveMonthlyGiftsOfCustomer(customerId);
    let queued = 0;
    for (const gift of gifts) {
      const ok = await queueGiftMail(
        ctx.ledger.trx,
        'card.expiring',
        gift,
        { manageUrl: ctx.manageUrl(gift.id), brand: src.brand, last4: src.last4, expMonth: src.exp_month, expYear: src.exp_year },
        { factKey: `card.expiring:${src.id}:${src.exp_year}-${src.exp_month}:${gift.id}`, at: dateOf(event.created) },
      );
      if (ok) queued++;
    }
    return gifts.length ? processed(`${queued} expiring-card mail(s) queued`) : ignored('no live monthly gift pays with this card');
  },
};

/** Where prefetch leaves what it read about the card of an upcoming renewal (our copy only). */
const UPCOMING_CARD = 'groundswell_card';
interface UpcomingCard {
  paymentMethod: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  chargeAt: number;
}

/**
 * invoice.upcoming (Stripe sends it some days before a renewal, as set in the Billing settings):
 * the cards Checkout saves are PaymentMethods, for which Stripe sends no customer.source.expiring,
 * so this is where we learn that the card will have expired when the renewal is charged. One mail
 * per card and expiry date. The upcoming invoice has no id; it names its subscription.
 */
const invoiceUpcoming: Handler<EventOf<'invoice.upcoming'>> = {
  async prefetch(event, { stripe }) {
    const inv = event.data.object;
    const subscriptionId = subscriptionOfInvoice(inv);
    if (!subscriptionId) return inv;
    // Always read now: the card may have changed since the event was made.
    const sub = await stripe.subscriptions.retrieve(subscriptionId, { expand: ['default_payment_method'] });
    const pm = sub.default_payment_method;
    const card = pm && typeof pm === 'object' && pm.card ? pm.card : null;
    const chargeAt = inv.next_payment_attempt ?? sub.items.data[0]?.current_period_end ?? null;
    if (!card || typeof pm !== 'object' || !pm || !chargeAt || sub.status === 'canceled') return inv;
    const seen: UpcomingCard = {
      paymentMethod: pm.id,
      brand: card.brand,
      last4: card.last4,
      expMonth: card.exp_month,
      expYear: card.exp_year,
      chargeAt,
    };
    return { ...inv, metadata: { ...inv.metadata, [UPCOMING_CARD]: JSON.stringify(seen) } };
  },
  async apply(event, ctx) {
    const inv = event.data.object;
    const subscriptionId = subscriptionOfInvoice(inv);
    const raw = inv.metadata?.[UPCOMING_CARD];
    if (!subscriptionId || !raw) return ignored('upcoming invoice without a card to check');
    const card = JSON.parse(raw) as UpcomingCard;
    // A card works until the last moment of its expiry month.
    const validUntil = Date.UTC(card.expYear, card.expMonth, 1) / 1000;
    if (validUntil > card.chargeAt) return ignored('card valid at the next payment');
    await ctx.ledger.lock([subscriptionId]);
    const { gift } = await ctx.ledger.findGift({ subscriptionId });
    if (!gift) return ignored('subscription of no gift of ours');
    if (!ctx.manageUrl) return ignored('no manage links here');
    const queued = await queueGiftMail(
      ctx.ledger.trx,
      'card.expiring',
      gift,
      { manageUrl: ctx.manageUrl(gift.id), brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear },
      {
        factKey: `card.expiring:${card.paymentMethod}:${card.expYear}-${card.expMonth}:${gift.id}`,
        at: dateOf(event.created),
        to: inv.customer_email,
        amount: inv.amount_due,
      },
    );
    return processed(queued ? 'expiring-card mail queued' : 'mail already queued');
  },
};

export const handlers: { [T in HandledType]: Handler<EventOf<T>, EventOf<T>['data']['object']> } = {
  'checkout.session.completed': checkoutCompleted,
  'checkout.session.async_payment_succeeded': checkoutSession,
  'checkout.session.async_payment_failed': checkoutSession,
  'checkout.session.expired': checkoutExpired,
  'invoice.paid': invoicePaid,
  'invoice.payment_succeeded': invoicePaid,
  'invoice_payment.paid': invoicePaymentPaid,
  'charge.refunded': chargeRefunded,
  'charge.refund.updated': refundChanged,
  'refund.created': refundChanged,
  'refund.updated': refundChanged,
  'refund.failed': refundChanged,
  'charge.dispute.created': disputeChanged,
  'charge.dispute.updated': disputeChanged,
  'charge.dispute.closed': disputeChanged,
  'charge.dispute.funds_withdrawn': disputeChanged,
  'charge.dispute.funds_reinstated': disputeChanged,
  'customer.subscription.created': subscriptionChanged,
  'customer.subscription.updated': subscriptionChanged,
  'customer.subscription.deleted': subscriptionChanged,
  'charge.succeeded': chargeSucceeded,
  'payout.paid': payoutPaid,
  'invoice.payment_failed': invoicePaymentFailed,
  'customer.source.expiring': sourceExpiring,
  'invoice.upcoming': invoiceUpcoming,
};

/** Whether prefetching this event may call Stripe's API (a re-read, or facts the event lacks).
 * Handlers not listed here read nothing unless the event is re-read. */
const MAY_READ_API = new Set<HandledType>([
  'invoice.paid',
  'invoice.payment_succeeded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'invoice.upcoming',
]);

export const prefetchReadsApi = (event: HandledEvent, reread: boolean): boolean =>
  reread ||
  MAY_READ_API.has(event.type) ||
  // a card added from the manage page is attached to its subscription in prefetch
  (event.type === 'checkout.session.completed' && event.data.object.mode === 'setup');

/**
 * The Stripe ids an event's handler locks first (Ledger.lock), when they can be read from the
 * event alone: group commit takes the locks of all its events in one statement before applying
 * them, instead of one round trip per event. The handler's own lock call then finds them held.
 * Events whose ids depend on what the database holds lock as they go.
 */
export function lockIdsOf(event: HandledEvent): (string | null)[] {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const s = event.data.object;
      if (s.mode === 'setup') return [];
      return [s.id, idOf(s.payment_intent), idOf(s.invoice), idOf(s.subscription)];
    }
    default:
      return [];
  }
}

/** Correlated access (TypeScript 4.6+): the handler of type T receives EventOf<T>, no cast. */
export async function prefetchEvent<T extends HandledType>(type: T, event: EventOf<T>, ctx: PrefetchContext): Promise<EventOf<T>> {
  const handler: Handler<EventOf<T>, EventOf<T>['data']['object']> = handlers[type];
  return withObject(event, await handler.prefetch(event, ctx));
}

export function applyEvent<T extends HandledType>(type: T, event: EventOf<T>, ctx: ApplyContext): Promise<Applied> {
  const handler: Handler<EventOf<T>, EventOf<T>['data']['object']> = handlers[type];
  return handler.apply(event, ctx);
}

/** A parked event read back from the database: a handled type with an object. */
export function isHandledEvent(x: unknown): x is HandledEvent {
  if (typeof x !== 'object' || x === null || !('type' in x) || !('data' in x)) return false;
  const { type, data } = x;
  return (
    typeof type === 'string' &&
    isHandledType(type) &&
    typeof data === 'object' &&
    data !== null &&
    'object' in data &&
    typeof data.object === 'object' &&
    data.object !== null
  );
}
