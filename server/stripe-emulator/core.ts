/**
 * The emulator's in-memory Stripe account: the objects, the state transitions a donor or the
 * Stripe dashboard would cause, and the events those transitions emit, in the order Stripe
 * documents them. Every transition snapshots the objects into its events before delivery, so a
 * later change never rewrites what an earlier webhook said.
 */
import type Stripe from 'stripe';
import type { LineItemInput, SessionInput } from './checkout-params.js';
import type { WebhookDelivery } from './delivery.js';
import {
  API_VERSION,
  addInterval,
  type EBalanceTransaction,
  type ECharge,
  type ECustomer,
  type EDispute,
  type EEvent,
  type EInvoice,
  type EInvoicePayment,
  type ELineItem,
  type ECard,
  type EPaymentIntent,
  type EPayout,
  type EPaymentMethod,
  type EPrice,
  type ESetupIntent,
  type ERefund,
  type ESession,
  type ESubscription,
  type EWebhookEndpoint,
  list,
  newId,
  unix,
} from './objects.js';

/** A control action that cannot happen in this state (thrown by the control API and shown on the pages). */
export class EmulatorError extends Error {}

/** Stripe's dispute fee (US: $15.00), in minor units. */
const DISPUTE_FEE = 1500;

/** The version an endpoint made without `api_version` gets: an old account default, as in the Dashboard. */
export const ACCOUNT_DEFAULT_API_VERSION = '2024-06-20';

export interface SessionRecord {
  session: ESession;
  input: SessionInput;
  lineItems: ELineItem[];
  /** When the session was expired (by time or by request): it is forgotten a while later. */
  expiredAt?: number;
}

/**
 * What the emulator keeps, so a demo server that runs for months (or is flooded) has bounded
 * memory. Stripe's events API covers the last 30 days; the emulator keeps the newest
 * `maxEvents` of those. Each kind of object keeps its newest `maxObjects` (finished Checkout
 * Sessions go first); an expired session is forgotten `expiredSessionTtlMs` after it expired,
 * which leaves the app time to re-read it from its webhook.
 */
export interface Retention {
  maxObjects: number;
  maxEvents: number;
  eventMaxAgeMs: number;
  expiredSessionTtlMs: number;
  idempotencyTtlMs: number;
}

export const DEFAULT_RETENTION: Retention = {
  maxObjects: 5_000,
  maxEvents: 10_000,
  eventMaxAgeMs: 30 * 86_400_000,
  expiredSessionTtlMs: 3_600_000,
  idempotencyTtlMs: 86_400_000,
};

export interface StoredResponse {
  path: string;
  params: string;
  status: number;
  body: string;
  /** Unix seconds; Stripe keeps keys for 24 hours. */
  created: number;
}

export interface SubscriptionRecord {
  subscription: ESubscription;
  input: SessionInput;
  email: string;
  name: string | null;
}

export interface RequestRef {
  id: string | null;
  idempotency_key: string | null;
}

export interface CompleteDetails {
  email?: string;
  name?: string;
}

export type Outage = 'none' | 'unreachable' | 'server_errors' | 'charges_disabled';
export const OUTAGES: readonly Outage[] = ['none', 'unreachable', 'server_errors', 'charges_disabled'];

export class EmulatorCore {
  readonly sessions = new Map<string, SessionRecord>();
  readonly customers = new Map<string, ECustomer>();
  readonly paymentIntents = new Map<string, EPaymentIntent>();
  readonly charges = new Map<string, ECharge>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly invoices = new Map<string, EInvoice>();
  readonly invoicePayments = new Map<string, EInvoicePayment>();
  readonly refunds = new Map<string, ERefund>();
  readonly disputes = new Map<string, EDispute>();
  /** The account's balance: every charge, refund and dispute moves it, net of Stripe's fee. */
  readonly balanceTransactions = new Map<string, EBalanceTransaction>();
  readonly payouts = new Map<string, EPayout>();
  /** Balance transaction id → the payout that paid it out (Stripe: `GET /v1/balance_transactions?payout=`). */
  readonly paidOut = new Map<string, string>();
  /** Webhook endpoints made through the API (stripe:setup); deliveries still go to the host app in process. */
  readonly webhookEndpoints = new Map<string, EWebhookEndpoint>();
  readonly paymentMethods = new Map<string, EPaymentMethod>();
  readonly setupIntents = new Map<string, ESetupIntent>();
  readonly events: EEvent[] = [];
  /** Idempotency-Key → first response (api.ts). */
  readonly idempotency = new Map<string, StoredResponse>();
  /**
   * A simulated outage (the dashboard's "Payments outage" or tests): 'unreachable' fails every
   * API request below HTTP (index.ts fetch), 'server_errors' answers 500 api_error,
   * 'charges_disabled' keeps answering but the account refuses new Checkout Sessions.
   */
  outage: Outage = 'none';

  constructor(
    readonly publicUrl: string,
    private readonly clock: () => Date,
    readonly delivery: WebhookDelivery,
    readonly retention: Retention = DEFAULT_RETENTION,
  ) {}

  /** Frees what the retention rules say is no longer kept. Cheap when nothing is over a limit. */
  prune(): void {
    const r = this.retention;
    const now = this.now();
    const oldest = now - r.eventMaxAgeMs / 1000;
    let drop = 0;
    while (drop < this.events.length && (this.events.length - drop > r.maxEvents || this.events[drop]!.created < oldest)) drop++;
    for (const e of this.events.splice(0, drop)) this.delivery.forget(e.id);

    for (const [id, rec] of this.sessions) {
      if (rec.expiredAt !== undefined && now - rec.expiredAt >= r.expiredSessionTtlMs / 1000) this.sessions.delete(id);
    }
    if (this.sessions.size > r.maxObjects) {
      // Finished sessions go first, oldest first; open ones only if there are too many of those alone.
      for (const [id, rec] of this.sessions) {
        if (this.sessions.size <= r.maxObjects) break;
        if (rec.session.status !== 'open') this.sessions.delete(id);
      }
      trim(this.sessions, r.maxObjects);
    }
    for (const m of [
      this.customers,
      this.paymentIntents,
      this.charges,
      this.subscriptions,
      this.invoices,
      this.invoicePayments,
      this.refunds,
      this.disputes,
      this.balanceTransactions,
      this.payouts,
      this.paymentMethods,
      this.setupIntents,
    ]) {
      trim(m as Map<string, unknown>, r.maxObjects);
    }
    for (const txn of this.paidOut.keys()) if (!this.balanceTransactions.has(txn)) this.paidOut.delete(txn);
    for (const [key, stored] of this.idempotency) {
      if (now - stored.created < r.idempotencyTtlMs / 1000) break; // insertion order is time order
      this.idempotency.delete(key);
    }
    trim(this.idempotency, r.maxObjects);
  }

  /** Sizes of every store (tests, and the dashboard's footnote). */
  stats() {
    return {
      sessions: this.sessions.size,
      customers: this.customers.size,
      paymentIntents: this.paymentIntents.size,
      charges: this.charges.size,
      subscriptions: this.subscriptions.size,
      invoices: this.invoices.size,
      invoicePayments: this.invoicePayments.size,
      refunds: this.refunds.size,
      disputes: this.disputes.size,
      balanceTransactions: this.balanceTransactions.size,
      payouts: this.payouts.size,
      events: this.events.length,
      deliveryRecords: this.delivery.records.size,
      idempotencyKeys: this.idempotency.size,
    };
  }

  private now(): number {
    return unix(this.clock());
  }

  private event(type: Stripe.Event.Type, object: unknown, request: RequestRef | null = null, previous?: Record<string, unknown>): EEvent {
    const e: EEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: { object: structuredClone(object), ...(previous && { previous_attributes: structuredClone(previous) }) },
      livemode: false,
      pending_webhooks: 1,
      request: request ?? { id: null, idempotency_key: null },
      type,
    };
    this.events.push(e);
    this.prune();
    return e;
  }

  // ---- Checkout Sessions ----

  createSession(input: SessionInput): ESession {
    if (input.customer !== null && !this.customers.has(input.customer)) {
      throw new EmulatorError(`No such customer: '${input.customer}'`);
    }
    const created = this.now();
    const id = newId('cs_test');
    const lineItems = input.lineItems.map((li) => this.lineItem(li, created));
    const session: ESession = {
      id,
      object: 'checkout.session',
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: input.mode === 'setup' ? null : input.amountTotal,
      amount_total: input.mode === 'setup' ? null : input.amountTotal,
      billing_address_collection: null,
      cancel_url: input.cancelUrl,
      client_reference_id: input.clientReferenceId,
      client_secret: null,
      created,
      currency: input.currency,
      customer: input.customer,
      customer_creation: input.mode === 'payment' && input.customer === null ? 'if_required' : null,
      customer_details: null,
      customer_email: input.customerEmail,
      expires_at: input.expiresAt ?? created + 24 * 3600,
      invoice: null,
      livemode: false,
      locale: (input.locale as ESession['locale']) ?? null,
      metadata: input.metadata,
      mode: input.mode,
      payment_intent: null,
      payment_link: null,
      payment_method_collection: input.mode === 'subscription' ? 'always' : null,
      payment_method_types: ['card'],
      payment_status: input.mode === 'setup' ? 'no_payment_required' : 'unpaid',
      recovered_from: null,
      setup_intent: null,
      status: 'open',
      submit_type: input.submitType,
      subscription: null,
      success_url: input.successUrl,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted_page',
      url: `${this.publicUrl}/emulator/checkout/${id}`,
    };
    this.sessions.set(id, { session, input, lineItems });
    this.prune();
    return session;
  }

  private lineItem(li: LineItemInput, created: number): ELineItem {
    return {
      id: newId('li'),
      object: 'item',
      amount_discount: 0,
      amount_subtotal: li.unitAmount * li.quantity,
      amount_tax: 0,
      amount_total: li.unitAmount * li.quantity,
      currency: li.currency,
      description: li.name,
      quantity: li.quantity,
      price: this.price(li, created),
    };
  }

  private price(li: LineItemInput, created: number): EPrice {
    return {
      id: newId('price'),
      object: 'price',
      active: false, // price_data creates an inline price that cannot be reused
      billing_scheme: 'per_unit',
      created,
      currency: li.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: newId('prod'),
      recurring: li.recurring ? { ...li.recurring, meter: null, trial_period_days: null, usage_type: 'licensed' } : null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: li.recurring ? 'recurring' : 'one_time',
      unit_amount: li.unitAmount,
      unit_amount_decimal: String(li.unitAmount),
    };
  }

  getSession(id: string): SessionRecord {
    const rec = this.sessions.get(id);
    if (!rec) throw new EmulatorError(`No such checkout session: '${id}'`);
    return rec;
  }

  /** True once the session's own `expires_at` has passed, whether or not it was expired yet. */
  isPastExpiry(rec: SessionRecord): boolean {
    return rec.session.status === 'open' && this.now() >= rec.session.expires_at;
  }

  /**
   * Stripe expires sessions on its own once `expires_at` passes and sends checkout.session.expired.
   * The emulator has no background job for that: it sweeps lazily whenever someone looks (an API
   * request or a page), and lets the webhooks go out after the answer, as Stripe's would.
   */
  sweepExpired(): void {
    for (const rec of this.sessions.values()) {
      if (this.isPastExpiry(rec)) void this.expire(rec.session.id).delivered.catch(() => undefined);
    }
    this.prune();
  }

  /** Expires an open session; the returned promise resolves when its webhook was delivered once. */
  expire(id: string, request: RequestRef | null = null): { session: ESession; delivered: Promise<void> } {
    const rec = this.getSession(id);
    const s = rec.session;
    if (s.status !== 'open') {
      throw new EmulatorError(`Only Checkout Sessions with a status in ["open"] can be expired (this one is ${s.status}).`);
    }
    s.status = 'expired';
    s.url = null;
    rec.expiredAt = this.now();
    const delivered = this.delivery.deliverAll([this.event('checkout.session.expired', s, request)]);
    return { session: s, delivered };
  }

  async completeCheckout(id: string, outcome: 'paid' | 'async_pending' = 'paid', details: CompleteDetails = {}): Promise<void> {
    const rec = this.getSession(id);
    const s = rec.session;
    if (this.isPastExpiry(rec)) {
      await this.expire(id).delivered;
      throw new EmulatorError('This Checkout Session has expired.');
    }
    if (s.status !== 'open') throw new EmulatorError(`This Checkout Session is ${s.status}; it cannot be paid.`);
    const email = details.email?.trim() || s.customer_email || 'donor@example.com';
    const name = details.name?.trim() || null;
    const amount = rec.input.amountTotal;
    const events: EEvent[] = [];

    s.customer_details = {
      address: null,
      business_name: null,
      email,
      individual_name: null,
      name,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    };
    s.status = 'complete';
    s.url = null;

    if (s.mode === 'setup') {
      if (outcome !== 'paid') {
        s.status = 'open';
        s.customer_details = null;
        throw new EmulatorError('Setup mode saves a card; there is no delayed payment to choose.');
      }
      let customer = s.customer ? this.customers.get(s.customer as string) : undefined;
      if (!customer) {
        customer = this.customer(email, name);
        s.customer = customer.id;
        events.push(this.event('customer.created', customer));
      }
      const pm = this.paymentMethod(customer.id, email, name);
      const seti: ESetupIntent = {
        id: newId('seti'),
        object: 'setup_intent',
        cancellation_reason: null,
        client_secret: null,
        created: this.now(),
        customer: customer.id,
        description: null,
        last_setup_error: null,
        livemode: false,
        metadata: { ...rec.input.setupIntentMetadata },
        next_action: null,
        payment_method: pm.id,
        payment_method_types: ['card'],
        status: 'succeeded',
        usage: 'off_session',
      };
      seti.client_secret = `${seti.id}_secret_${newId('x').slice(2)}`;
      this.setupIntents.set(seti.id, seti);
      s.setup_intent = seti.id;
      events.push(
        this.event('payment_method.attached', pm),
        this.event('setup_intent.created', seti),
        this.event('setup_intent.succeeded', seti),
        this.event('checkout.session.completed', s),
      );
      await this.delivery.deliverAll(events);
      return;
    }

    if (s.mode === 'payment') {
      const metadata = rec.input.paymentIntentMetadata;
      const pending = outcome === 'async_pending';
      const { pi, charge } = this.payment({
        amount,
        currency: rec.input.currency,
        customer: s.customer as string | null,
        metadata,
        description: rec.input.paymentIntentDescription,
        email,
        name,
        method: pending ? 'sepa_debit' : 'card',
        pending,
      });
      s.payment_intent = pi.id;
      s.payment_status = pending ? 'unpaid' : 'paid';
      // Delayed methods (SEPA, bank debits) report processing now and settle days later.
      if (pending) {
        events.push(this.event('charge.pending', charge), this.event('payment_intent.processing', pi));
      } else {
        events.push(this.event('charge.succeeded', charge), this.event('payment_intent.succeeded', pi));
      }
      events.push(this.event('checkout.session.completed', s));
      await this.delivery.deliverAll(events);
      return;
    }

    if (outcome !== 'paid') {
      s.status = 'open';
      s.customer_details = null;
      throw new EmulatorError('The emulator only models delayed payment methods in payment mode.');
    }
    let customer = s.customer ? this.customers.get(s.customer as string) : undefined;
    if (!customer) {
      customer = this.customer(email, name);
      events.push(this.event('customer.created', customer));
    }
    const now = this.now();
    const subId = newId('sub');
    // Checkout makes the card it collected the subscription's default payment method.
    const pm = this.paymentMethod(customer.id, email, name);
    const recurring = rec.input.lineItems[0]!.recurring!;
    const periodEnd = addInterval(now, recurring.interval, recurring.interval_count);
    const subscription: ESubscription = {
      id: subId,
      object: 'subscription',
      billing_cycle_anchor: now,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
      collection_method: 'charge_automatically',
      created: now,
      currency: rec.input.currency,
      customer: customer.id,
      days_until_due: null,
      default_payment_method: pm.id,
      description: rec.input.subscriptionDescription,
      ended_at: null,
      items: list(
        rec.lineItems.map((li) => ({
          id: newId('si'),
          object: 'subscription_item' as const,
          created: now,
          current_period_end: periodEnd,
          current_period_start: now,
          metadata: {},
          price: li.price,
          quantity: li.quantity ?? 1,
          subscription: subId,
        })),
        `/v1/subscription_items?subscription=${subId}`,
      ),
      latest_invoice: null,
      livemode: false,
      metadata: rec.input.subscriptionMetadata,
      start_date: now,
      status: 'active',
      trial_end: null,
      trial_start: null,
    };
    const subRec: SubscriptionRecord = { subscription, input: rec.input, email, name };
    this.subscriptions.set(subId, subRec);
    const paid = this.invoicePaid(
      subRec,
      'subscription_create',
      this.clock(),
      { start: now, end: now },
      { start: now, end: periodEnd },
      'Subscription creation',
    );
    s.customer = customer.id;
    s.subscription = subId;
    s.invoice = paid.invoice.id;
    s.payment_status = 'paid';
    events.push(
      this.event('payment_method.attached', pm),
      this.event('customer.subscription.created', subscription),
      ...paid.events,
      this.event('checkout.session.completed', s),
    );
    await this.delivery.deliverAll(events);
  }

  async settleAsync(id: string, outcome: 'succeeded' | 'failed'): Promise<void> {
    const s = this.getSession(id).session;
    const pi = s.payment_intent ? this.paymentIntents.get(s.payment_intent as string) : undefined;
    if (!pi || pi.status !== 'processing') throw new EmulatorError('This Checkout Session has no payment waiting to settle.');
    const charge = this.charges.get(pi.latest_charge as string)!;
    const events: EEvent[] = [];
    if (outcome === 'succeeded') {
      pi.status = 'succeeded';
      pi.amount_received = pi.amount;
      charge.status = 'succeeded';
      charge.paid = true;
      charge.captured = true;
      charge.amount_captured = charge.amount;
      charge.balance_transaction = this.chargeBalance(charge).id;
      s.payment_status = 'paid';
      events.push(
        this.event('charge.succeeded', charge),
        this.event('payment_intent.succeeded', pi),
        this.event('checkout.session.async_payment_succeeded', s),
      );
    } else {
      const failure = { code: 'insufficient_funds', message: "The customer's account has insufficient funds to cover this payment." };
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { ...failure, type: 'card_error' };
      charge.status = 'failed';
      charge.failure_code = failure.code;
      charge.failure_message = failure.message;
      events.push(
        this.event('charge.failed', charge),
        this.event('payment_intent.payment_failed', pi),
        this.event('checkout.session.async_payment_failed', s),
      );
    }
    await this.delivery.deliverAll(events);
  }

  // ---- Subscriptions ----

  getSubscription(id: string): SubscriptionRecord {
    const rec = this.subscriptions.get(id);
    if (!rec) throw new EmulatorError(`No such subscription: '${id}'`);
    return rec;
  }

  async renewSubscription(id: string, opts: { paidAt?: Date } = {}): Promise<void> {
    const rec = this.getSubscription(id);
    const sub = rec.subscription;
    if (sub.status !== 'active') throw new EmulatorError(`Subscription ${id} is ${sub.status}; only active subscriptions renew.`);
    const item0 = sub.items.data[0]!;
    const recurring = rec.input.lineItems[0]!.recurring!;
    const previous = { start: item0.current_period_start, end: item0.current_period_end };
    const next = { start: previous.end, end: addInterval(previous.end, recurring.interval, recurring.interval_count) };
    for (const item of sub.items.data) {
      item.current_period_start = next.start;
      item.current_period_end = next.end;
    }
    const paid = this.invoicePaid(rec, 'subscription_cycle', opts.paidAt ?? this.clock(), previous, next, 'Subscription update');
    await this.delivery.deliverAll(paid.events);
  }

  cancelSubscription(
    id: string,
    details: { comment?: string | null; feedback?: Stripe.Subscription.CancellationDetails.Feedback | null } = {},
    request: RequestRef | null = null,
  ): { subscription: ESubscription; delivered: Promise<void> } {
    const sub = this.getSubscription(id).subscription;
    if (sub.status === 'canceled') throw new EmulatorError(`Subscription ${id} is already canceled.`);
    const now = this.now();
    sub.status = 'canceled';
    sub.canceled_at = now;
    sub.ended_at = now;
    sub.cancellation_details = {
      comment: details.comment || null,
      feedback: details.feedback || null,
      feedback_option: null,
      reason: 'cancellation_requested',
    };
    // Stripe stops collecting a canceled subscription's open invoices but leaves them open
    // (voiding them is the caller's choice).
    const delivered = this.delivery.deliverAll([this.event('customer.subscription.deleted', sub, request)]);
    return { subscription: sub, delivered };
  }

  /**
   * POST /v1/subscriptions/:id: the subset Groundswell uses. An item's new price_data makes a new
   * inline price for the same product; proration_behavior 'none' means no invoice item now, so
   * nothing else happens until the next renewal charges the new amount.
   */
  updateSubscription(
    id: string,
    change: {
      items?: {
        id: string;
        quantity?: number;
        price: { currency: string; product: string; unitAmount: number; interval: string; intervalCount: number };
      }[];
      defaultPaymentMethod?: string;
      metadata?: Record<string, string>;
    },
    request: RequestRef | null = null,
  ): { subscription: ESubscription; delivered: Promise<void> } {
    const sub = this.getSubscription(id).subscription;
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw new EmulatorError(`A canceled subscription can only update its cancellation_details and metadata.`);
    }
    const previous: Record<string, unknown> = {};
    if (change.items?.length) {
      previous['items'] = structuredClone(sub.items);
      for (const ch of change.items) {
        const item = sub.items.data.find((i) => i.id === ch.id);
        if (!item) throw new EmulatorError(`No such subscription item: '${ch.id}'`);
        if (ch.price.currency !== sub.currency)
          throw new EmulatorError(`The price currency must be ${sub.currency}, the subscription's currency.`);
        if (ch.price.product !== item.price.product) throw new EmulatorError(`No such product: '${ch.price.product}'`);
        item.price = {
          ...item.price,
          id: newId('price'),
          created: this.now(),
          unit_amount: ch.price.unitAmount,
          unit_amount_decimal: String(ch.price.unitAmount),
          recurring: {
            interval: ch.price.interval as 'month',
            interval_count: ch.price.intervalCount,
            meter: null,
            trial_period_days: null,
            usage_type: 'licensed',
          },
        };
        if (ch.quantity !== undefined) item.quantity = ch.quantity;
      }
    }
    if (change.defaultPaymentMethod !== undefined) {
      const pm = this.paymentMethods.get(change.defaultPaymentMethod);
      if (!pm) throw new EmulatorError(`No such PaymentMethod: '${change.defaultPaymentMethod}'`);
      if (pm.customer !== sub.customer) {
        throw new EmulatorError(
          `The customer does not have a payment method with the ID ${pm.id}. The payment method must be attached to the customer.`,
        );
      }
      previous['default_payment_method'] = sub.default_payment_method;
      sub.default_payment_method = pm.id;
    }
    if (change.metadata) {
      previous['metadata'] = { ...sub.metadata };
      sub.metadata = { ...sub.metadata, ...change.metadata };
    }
    const delivered = Object.keys(previous).length
      ? this.delivery.deliverAll([this.event('customer.subscription.updated', sub, request, previous)])
      : Promise.resolve();
    return { subscription: sub, delivered };
  }

  /** A renewal the card declines: an open invoice, invoice.payment_failed, the subscription past_due. */
  async failRenewal(id: string): Promise<string> {
    const rec = this.getSubscription(id);
    const sub = rec.subscription;
    if (sub.status !== 'active') throw new EmulatorError(`Subscription ${id} is ${sub.status}; only active subscriptions renew.`);
    const now = this.now();
    const amount = sub.items.data.reduce((a, i) => a + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0);
    const item0 = sub.items.data[0]!;
    const invoiceId = newId('in');
    const invoice: EInvoice = {
      id: invoiceId,
      object: 'invoice',
      amount_due: amount,
      amount_overpaid: 0,
      amount_paid: 0,
      amount_remaining: amount,
      amount_shipping: 0,
      attempt_count: 1,
      attempted: true,
      billing_reason: 'subscription_cycle',
      collection_method: 'charge_automatically',
      created: now,
      currency: sub.currency,
      customer: sub.customer as string,
      customer_email: rec.email,
      customer_name: rec.name,
      description: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      livemode: false,
      metadata: {},
      number: `${(sub.customer as string).slice(4, 12).toUpperCase()}-F${String(this.invoices.size + 1).padStart(3, '0')}`,
      parent: {
        quote_details: null,
        subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id },
        type: 'subscription_details',
      },
      period_end: item0.current_period_end,
      period_start: item0.current_period_start,
      status: 'open',
      status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subtotal: amount,
      total: amount,
      lines: list([], `/v1/invoices/${invoiceId}/lines`),
    };
    this.invoices.set(invoiceId, invoice);
    sub.latest_invoice = invoiceId;
    const previous = { status: sub.status };
    sub.status = 'past_due';
    await this.delivery.deliverAll([
      this.event('invoice.finalized', invoice),
      this.event('invoice.payment_failed', invoice),
      this.event('customer.subscription.updated', sub, null, previous),
    ]);
    return invoiceId;
  }

  /**
   * invoice.upcoming, as Stripe sends it some days before a renewal: a preview of the next
   * invoice, without an id (it does not exist yet).
   */
  async upcomingRenewal(id: string): Promise<void> {
    const rec = this.getSubscription(id);
    const sub = rec.subscription;
    if (sub.status !== 'active' && sub.status !== 'past_due')
      throw new EmulatorError(`Subscription ${id} is ${sub.status}; it will not renew.`);
    const amount = sub.items.data.reduce((a, i) => a + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0);
    const item0 = sub.items.data[0]!;
    const preview = {
      object: 'invoice',
      amount_due: amount,
      amount_paid: 0,
      amount_remaining: amount,
      attempt_count: 0,
      attempted: false,
      billing_reason: 'upcoming',
      collection_method: 'charge_automatically',
      created: item0.current_period_end,
      currency: sub.currency,
      customer: sub.customer,
      customer_email: rec.email,
      customer_name: rec.name,
      livemode: false,
      metadata: {},
      next_payment_attempt: item0.current_period_end,
      parent: {
        quote_details: null,
        subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id },
        type: 'subscription_details',
      },
      period_end: item0.current_period_end,
      period_start: item0.current_period_start,
      status: 'draft',
      subtotal: amount,
      total: amount,
    };
    await this.delivery.deliverAll([this.event('invoice.upcoming', preview)]);
  }

  /** POST /v1/payment_methods/:id: a card's expiry date can be updated (the donor's bank reissued it). */
  updatePaymentMethod(id: string, change: { expMonth?: number; expYear?: number }): EPaymentMethod {
    const pm = this.paymentMethods.get(id);
    if (!pm) throw new EmulatorError(`No such PaymentMethod: '${id}'`);
    if (change.expMonth !== undefined) pm.card.exp_month = change.expMonth;
    if (change.expYear !== undefined) pm.card.exp_year = change.expYear;
    void this.delivery.deliverAll([this.event('payment_method.updated', pm)]).catch(() => undefined);
    return pm;
  }

  /** POST /v1/invoices/:id/void: only an open invoice can be voided. */
  voidInvoice(id: string, request: RequestRef | null = null): { invoice: EInvoice; delivered: Promise<void> } {
    const inv = this.invoices.get(id);
    if (!inv) throw new EmulatorError(`No such invoice: '${id}'`);
    if (inv.status !== 'open') throw new EmulatorError(`You can only pass in open invoices. This invoice isn't open (${inv.status}).`);
    inv.status = 'void';
    inv.status_transitions = { ...inv.status_transitions, voided_at: this.now() };
    const delivered = this.delivery.deliverAll([this.event('invoice.voided', inv, request)]);
    return { invoice: inv, delivered };
  }

  /**
   * customer.source.expiring, as Stripe sends it for a card saved as a source at the start of the
   * month it expires in (the emulator's cards are PaymentMethods; this stands in for the legacy case).
   */
  async cardExpiring(customerId: string): Promise<void> {
    if (!this.customers.has(customerId)) throw new EmulatorError(`No such customer: '${customerId}'`);
    const d = this.clock();
    const card: ECard = {
      id: newId('card'),
      object: 'card',
      brand: 'Visa',
      country: 'US',
      customer: customerId,
      exp_month: d.getUTCMonth() + 1,
      exp_year: d.getUTCFullYear(),
      funding: 'credit',
      last4: '4242',
      metadata: {},
    };
    await this.delivery.deliverAll([this.event('customer.source.expiring', card)]);
  }

  private paymentMethod(customer: string, email: string, name: string | null): EPaymentMethod {
    const year = this.clock().getUTCFullYear();
    const pm: EPaymentMethod = {
      id: newId('pm'),
      object: 'payment_method',
      billing_details: { address: null, email, name, phone: null, tax_id: null },
      card: {
        brand: 'visa',
        country: 'US',
        exp_month: 12,
        exp_year: year + 3,
        funding: 'credit',
        last4: String(4242 + this.paymentMethods.size).slice(-4),
      },
      created: this.now(),
      customer,
      livemode: false,
      metadata: {},
      type: 'card',
    };
    this.paymentMethods.set(pm.id, pm);
    return pm;
  }

  /**
   * One paid subscription invoice and the money behind it. In this API version the Invoice no
   * longer names its payment: the PaymentIntent is reachable only through the InvoicePayment.
   */
  private invoicePaid(
    rec: SubscriptionRecord,
    reason: 'subscription_create' | 'subscription_cycle',
    paidAtDate: Date,
    invoicePeriod: { start: number; end: number },
    linePeriod: { start: number; end: number },
    description: string,
  ): { invoice: EInvoice; events: EEvent[] } {
    const sub = rec.subscription;
    const paidAt = unix(paidAtDate);
    const amount = sub.items.data.reduce((s, i) => s + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0);
    const customer = sub.customer as string;
    const invoiceId = newId('in');
    const { pi, charge } = this.payment({
      amount,
      currency: sub.currency,
      customer,
      metadata: {}, // Subscription PaymentIntents and Charges carry no metadata (STRIPE.md)
      description,
      email: rec.email,
      name: rec.name,
      method: 'card',
      pending: false,
      created: paidAt,
    });
    const invoiceCount = [...this.invoices.values()].filter((i) => i.customer === customer).length;
    const invoice: EInvoice = {
      id: invoiceId,
      object: 'invoice',
      amount_due: amount,
      amount_overpaid: 0,
      amount_paid: amount,
      amount_remaining: 0,
      amount_shipping: 0,
      attempt_count: 1,
      attempted: true,
      billing_reason: reason,
      collection_method: 'charge_automatically',
      created: paidAt,
      currency: sub.currency,
      customer,
      customer_email: rec.email,
      customer_name: rec.name,
      description: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      livemode: false,
      metadata: {},
      number: `${customer.slice(4, 12).toUpperCase()}-${String(invoiceCount + 1).padStart(4, '0')}`,
      parent: {
        quote_details: null,
        // Frozen at finalisation: later changes to the subscription's metadata do not reach old invoices.
        subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id },
        type: 'subscription_details',
      },
      period_end: invoicePeriod.end,
      period_start: invoicePeriod.start,
      status: 'paid',
      status_transitions: { finalized_at: paidAt, marked_uncollectible_at: null, paid_at: paidAt, voided_at: null },
      subtotal: amount,
      total: amount,
      lines: list(
        sub.items.data.map((item) => ({
          id: newId('il'),
          object: 'line_item' as const,
          amount: (item.price.unit_amount ?? 0) * (item.quantity ?? 1),
          currency: sub.currency,
          description: `${item.quantity ?? 1} × ${rec.input.lineItems[0]!.name}`,
          invoice: invoiceId,
          livemode: false,
          metadata: {},
          parent: {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: sub.id,
              subscription_item: item.id,
            },
            type: 'subscription_item_details',
          },
          period: { ...linePeriod },
          pricing: {
            type: 'price_details' as const,
            price_details: { price: item.price.id, product: item.price.product as string },
            unit_amount_decimal: item.price.unit_amount_decimal,
          },
          quantity: item.quantity ?? 1,
        })),
        `/v1/invoices/${invoiceId}/lines`,
      ),
    };
    this.invoices.set(invoiceId, invoice);
    const inpay: EInvoicePayment = {
      id: newId('inpay'),
      object: 'invoice_payment',
      amount_paid: amount,
      amount_requested: amount,
      created: paidAt,
      currency: sub.currency,
      invoice: invoiceId,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: paidAt },
    };
    this.invoicePayments.set(inpay.id, inpay);
    sub.latest_invoice = invoiceId;
    return {
      invoice,
      events: [
        this.event('charge.succeeded', charge),
        this.event('payment_intent.succeeded', pi),
        this.event('invoice.paid', invoice),
        this.event('invoice.payment_succeeded', invoice),
        this.event('invoice_payment.paid', inpay),
      ],
    };
  }

  private customer(email: string, name: string | null): ECustomer {
    const c: ECustomer = {
      id: newId('cus'),
      object: 'customer',
      balance: 0,
      created: this.now(),
      default_source: null,
      delinquent: false,
      description: null,
      email,
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: {},
      name,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
    };
    this.customers.set(c.id, c);
    return c;
  }

  private payment(p: {
    amount: number;
    currency: string;
    customer: string | null;
    metadata: Record<string, string>;
    description: string | null;
    email: string;
    name: string | null;
    method: 'card' | 'sepa_debit';
    pending: boolean;
    created?: number;
  }): { pi: EPaymentIntent; charge: ECharge } {
    const created = p.created ?? this.now();
    const piId = newId('pi');
    const pm = newId('pm');
    const charge: ECharge = {
      id: newId('ch'),
      object: 'charge',
      amount: p.amount,
      amount_captured: p.pending ? 0 : p.amount,
      amount_refunded: 0,
      balance_transaction: null,
      billing_details: { address: null, email: p.email, name: p.name, phone: null, tax_id: null },
      captured: !p.pending,
      created,
      currency: p.currency,
      customer: p.customer,
      description: p.description,
      disputed: false,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { ...p.metadata },
      outcome: p.pending
        ? null
        : {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            seller_message: 'Payment complete.',
            type: 'authorized',
          },
      paid: !p.pending,
      payment_intent: piId,
      payment_method: pm,
      payment_method_details: { type: p.method },
      receipt_email: null,
      receipt_url: null,
      refunded: false,
      status: p.pending ? 'pending' : 'succeeded',
    };
    const pi: EPaymentIntent = {
      id: piId,
      object: 'payment_intent',
      amount: p.amount,
      amount_capturable: 0,
      amount_received: p.pending ? 0 : p.amount,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${piId}_secret_${newId('x').slice(2)}`,
      confirmation_method: 'automatic',
      created,
      currency: p.currency,
      customer: p.customer,
      description: p.description,
      last_payment_error: null,
      latest_charge: charge.id,
      livemode: false,
      metadata: { ...p.metadata },
      next_action: null,
      payment_method: pm,
      payment_method_types: [p.method],
      processing: null,
      receipt_email: null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      status: p.pending ? 'processing' : 'succeeded',
    };
    if (!p.pending) charge.balance_transaction = this.chargeBalance(charge).id;
    this.charges.set(charge.id, charge);
    this.paymentIntents.set(pi.id, pi);
    return { pi, charge };
  }

  // ---- refunds and disputes (what the Stripe dashboard or the donor's bank would do) ----

  private succeededCharge(paymentIntentId: string): { pi: EPaymentIntent; charge: ECharge } {
    const pi = this.paymentIntents.get(paymentIntentId);
    if (!pi) throw new EmulatorError(`No such payment_intent: '${paymentIntentId}'`);
    const charge = pi.latest_charge ? this.charges.get(pi.latest_charge as string) : undefined;
    if (!charge || charge.status !== 'succeeded') throw new EmulatorError(`PaymentIntent ${paymentIntentId} has no succeeded charge.`);
    return { pi, charge };
  }

  async refund(paymentIntentId: string, amount?: number): Promise<void> {
    const { charge } = this.succeededCharge(paymentIntentId);
    const open = [...this.disputes.values()].find((d) => d.charge === charge.id && !['won', 'lost'].includes(d.status));
    if (open) throw new EmulatorError(`Charge ${charge.id} has an open dispute (${open.id}); it cannot be refunded.`);
    const remaining = charge.amount - charge.amount_refunded;
    const value = amount ?? remaining;
    if (!Number.isInteger(value) || value < 1) throw new EmulatorError('The refund amount must be a positive integer in minor units.');
    if (value > remaining)
      throw new EmulatorError(`Refund amount (${value}) is greater than the unrefunded amount on the charge (${remaining}).`);
    const refund: ERefund = {
      id: newId('re'),
      object: 'refund',
      amount: value,
      balance_transaction: null,
      charge: charge.id,
      created: this.now(),
      currency: charge.currency,
      metadata: {},
      payment_intent: paymentIntentId,
      reason: 'requested_by_customer',
      receipt_number: null,
      status: 'succeeded',
    };
    refund.balance_transaction = this.balance({
      type: 'refund',
      category: 'refund',
      amount: -value,
      fee: 0,
      currency: charge.currency,
      source: refund.id,
      description: 'REFUND FOR CHARGE',
    }).id;
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += value;
    charge.refunded = charge.amount_refunded === charge.amount;
    // charge.refunded carries the cumulative amount_refunded; refund.created the single refund.
    await this.delivery.deliverAll([this.event('charge.refunded', charge), this.event('refund.created', refund)]);
  }

  async dispute(paymentIntentId: string, opts: { amount?: number } = {}): Promise<string> {
    const { pi, charge } = this.succeededCharge(paymentIntentId);
    if (charge.disputed) throw new EmulatorError(`Charge ${charge.id} is already disputed.`);
    const amount = opts.amount ?? charge.amount - charge.amount_refunded;
    if (!Number.isInteger(amount) || amount < 1 || amount > charge.amount) {
      throw new EmulatorError(`The disputed amount must be between 1 and ${charge.amount}.`);
    }
    const dispute: EDispute = {
      id: newId('dp'),
      object: 'dispute',
      amount,
      balance_transactions: [],
      charge: charge.id,
      created: this.now(),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: pi.id,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    // Stripe withdraws the disputed amount and charges its dispute fee (US: $15.00).
    dispute.balance_transactions.push(
      structuredClone(
        this.balance({
          type: 'adjustment',
          category: 'dispute',
          amount: -amount,
          fee: DISPUTE_FEE,
          currency: charge.currency,
          source: dispute.id,
          description: `Chargeback withdrawal for ${charge.id}`,
        }),
      ),
    );
    this.disputes.set(dispute.id, dispute);
    charge.disputed = true;
    await this.delivery.deliverAll([this.event('charge.dispute.created', dispute), this.event('charge.dispute.funds_withdrawn', dispute)]);
    return dispute.id;
  }

  async closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void> {
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw new EmulatorError(`No such dispute: '${disputeId}'`);
    if (dispute.status === 'won' || dispute.status === 'lost')
      throw new EmulatorError(`Dispute ${disputeId} is already ${dispute.status}.`);
    dispute.status = outcome;
    if (outcome === 'won') {
      dispute.balance_transactions.push(
        structuredClone(
          this.balance({
            type: 'adjustment',
            category: 'dispute_reversal',
            amount: dispute.amount,
            fee: 0,
            currency: dispute.currency,
            source: dispute.id,
            description: `Chargeback reversal for ${dispute.charge as string}`,
          }),
        ),
      );
    }
    const events = [this.event('charge.dispute.closed', dispute)];
    if (outcome === 'won') events.push(this.event('charge.dispute.funds_reinstated', dispute));
    await this.delivery.deliverAll(events);
  }

  // ---- the balance: fees, net amounts and payouts (what a treasurer matches with the bank) ----

  /** A card charge's balance transaction: Stripe's standard pricing, 2.9% + 30 minor units. */
  private chargeBalance(charge: ECharge): EBalanceTransaction {
    return this.balance({
      type: 'charge',
      category: 'charge',
      amount: charge.amount,
      fee: Math.min(charge.amount, Math.round(charge.amount * 0.029) + 30),
      currency: charge.currency,
      source: charge.id,
      description: charge.description,
      created: charge.created,
    });
  }

  private balance(b: {
    type: 'charge' | 'refund' | 'adjustment' | 'payout';
    category: string;
    amount: number;
    fee: number;
    currency: string;
    source: string;
    description: string | null;
    created?: number;
  }): EBalanceTransaction {
    const created = b.created ?? this.now();
    const txn: EBalanceTransaction = {
      id: newId('txn'),
      object: 'balance_transaction',
      amount: b.amount,
      // Funds from charges become available two days later (Stripe's standard US schedule).
      available_on: b.type === 'charge' ? created + 2 * 86_400 : created,
      balance_type: 'payments',
      created,
      currency: b.currency,
      description: b.description,
      exchange_rate: null,
      fee: b.fee,
      fee_details: b.fee
        ? [
            {
              amount: b.fee,
              application: null,
              currency: b.currency,
              description: b.category === 'dispute' ? 'Dispute fee' : 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
      net: b.amount - b.fee,
      reporting_category: b.category,
      source: b.source,
      status: 'pending',
      type: b.type,
    };
    this.balanceTransactions.set(txn.id, txn);
    return txn;
  }

  /** Balance transactions read now: `available` once their available_on has passed. */
  balanceTransaction(id: string): EBalanceTransaction | undefined {
    const txn = this.balanceTransactions.get(id);
    if (txn) txn.status = txn.available_on <= this.now() ? 'available' : 'pending';
    return txn;
  }

  /**
   * An automatic payout, as Stripe makes daily: everything available and not yet paid out, one
   * payout per currency, arriving the next day. Sends payout.created and payout.paid. Returns the
   * payouts made (none when nothing is available). `instant` also pays out funds still pending
   * (an Instant Payout, as the dashboard offers, so a demo need not wait two days).
   */
  async payout(opts: { instant?: boolean } = {}): Promise<EPayout[]> {
    const now = this.now();
    const byCurrency = new Map<string, EBalanceTransaction[]>();
    for (const txn of this.balanceTransactions.values()) {
      if (txn.type === 'payout' || this.paidOut.has(txn.id) || (!opts.instant && txn.available_on > now)) continue;
      byCurrency.set(txn.currency, [...(byCurrency.get(txn.currency) ?? []), txn]);
    }
    const made: EPayout[] = [];
    const events: EEvent[] = [];
    for (const [currency, txns] of byCurrency) {
      const amount = txns.reduce((s, t) => s + t.net, 0);
      if (amount <= 0) continue;
      const id = newId('po');
      const own = this.balance({
        type: 'payout',
        category: 'payout',
        amount: -amount,
        fee: 0,
        currency,
        source: id,
        description: 'STRIPE PAYOUT',
      });
      for (const t of txns) this.paidOut.set(t.id, id);
      this.paidOut.set(own.id, id);
      const po: EPayout = {
        id,
        object: 'payout',
        amount,
        arrival_date: opts.instant ? now : now + 86_400,
        automatic: !opts.instant,
        balance_transaction: own.id,
        created: now,
        currency,
        description: 'STRIPE PAYOUT',
        destination: 'ba_emulator_bank_account',
        failure_code: null,
        failure_message: null,
        livemode: false,
        metadata: {},
        method: opts.instant ? 'instant' : 'standard',
        source_type: 'card',
        statement_descriptor: null,
        status: 'pending',
        type: 'bank_account',
      };
      this.payouts.set(id, po);
      events.push(this.event('payout.created', po));
      po.status = 'paid';
      events.push(this.event('payout.paid', po));
      made.push(po);
    }
    await this.delivery.deliverAll(events);
    return made;
  }

  // ---- webhook endpoints (records: what stripe:setup creates and the health page reads) ----

  createWebhookEndpoint(p: {
    url: string;
    enabledEvents: string[];
    apiVersion: string | null;
    description: string | null;
    metadata: Record<string, string>;
  }): EWebhookEndpoint & { secret: string } {
    const endpoint: EWebhookEndpoint = {
      id: newId('we'),
      object: 'webhook_endpoint',
      // Stripe: an endpoint created without api_version takes the account's default version.
      api_version: p.apiVersion ?? ACCOUNT_DEFAULT_API_VERSION,
      application: null,
      created: this.now(),
      description: p.description,
      enabled_events: p.enabledEvents,
      livemode: false,
      metadata: p.metadata,
      status: 'enabled',
      url: p.url,
    };
    this.webhookEndpoints.set(endpoint.id, endpoint);
    return { ...structuredClone(endpoint), secret: `whsec_${newId('x').slice(2)}` };
  }
}

/** Drops the oldest entries (Maps keep insertion order) until at most `max` are left. */
function trim<K, V>(m: Map<K, V>, max: number): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
  }
}
