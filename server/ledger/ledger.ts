import { type Kysely, type Transaction, sql } from 'kysely';
import type Stripe from 'stripe';
import type { Database, EventOutcome, Gift, GiftStatus, PaymentKind } from '../../db/schema.js';
import { notifyProgress } from '../live/bus.js';

/**
 * The ledger: the one writer of money (STYLE 13). Every money movement is a row keyed by Stripe's
 * own id (or offline:<gift>); facts about it (refunds, disputes, invoice payments) are rows keyed
 * by their Stripe ids; each payment remembers what it currently contributes to campaign_totals
 * (applied_*). A change recomputes the payment's contribution from the facts and applies only
 * the difference, inside the same transaction. So any order of delivery, any duplicate, converges
 * on the same totals. Webhook handlers, offline gifts and campaign edits only call the methods
 * below; none of them writes a money table itself.
 *
 *   route → handler (translates a Stripe event) → Ledger (writes, locks) → bus (after commit)
 */

type Known<T> = T extends string ? (string extends T ? never : T) : never;
type DisputeStatus = Known<Stripe.Dispute.Status>;

/** What a dispute holds back, by status (STRIPE.md; Stripe support, "Dispute for full charge
 * amount after a partial refund was issued"): open disputes hold the disputed amount, which Stripe
 * withdraws in full even from a partly refunded charge; a lost one keeps what was not refunded
 * (Stripe returns the refunded part and shows it "partially won"); inquiries (warning_*), won
 * and prevented disputes hold nothing. */
const DISPUTE_HOLDS: Record<DisputeStatus, 'amount' | 'unrefunded' | 'nothing'> = {
  warning_needs_response: 'nothing',
  warning_under_review: 'nothing',
  warning_closed: 'nothing',
  needs_response: 'amount',
  under_review: 'amount',
  appeal_needs_response: 'unrefunded',
  appeal_under_review: 'unrefunded',
  lost: 'unrefunded',
  won: 'nothing',
  prevented: 'nothing',
};

/** Order of dispute states within one second (Stripe's lifecycle). */
const DISPUTE_RANK: Record<DisputeStatus, number> = {
  warning_needs_response: 0,
  warning_under_review: 1,
  warning_closed: 2,
  needs_response: 3,
  under_review: 4,
  lost: 5,
  appeal_needs_response: 6,
  appeal_under_review: 7,
  won: 8,
  prevented: 8,
};

const isDisputeStatus = (s: string): s is DisputeStatus => s in DISPUTE_HOLDS;

type Db = Kysely<Database> | Transaction<Database>;

/** Refund states: failed and canceled are final (a refund never leaves them); the others move
 * forward pending → requires_action → succeeded. Only live refunds take money back. */
const REFUND_RANK: Record<string, number> = { pending: 0, requires_action: 1, succeeded: 2, failed: 9, canceled: 9 };
const refundLive = (status: string) => status !== 'failed' && status !== 'canceled';

/** Subscription states a subscription never leaves (Stripe Billing lifecycle). */
const FINAL_SUBSCRIPTION = new Set<string>(['canceled', 'incomplete_expired']);

/** Gift status only moves forward: money that arrived is never "pending" or "expired" again. */
const STATUS_RANK: Record<GiftStatus, number> = { created: 0, expired: 1, pending: 2, failed: 3, paid: 4, voided: 5 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Contribution {
  raised: number;
  donation: number;
  refunded: number;
  disputed: number;
}

/** Changes gathered during one transaction and applied at its end in a fixed order (donor
 * rows sorted, then totals rows sorted), so concurrent transactions cannot deadlock on them. */
class TotalsBatch {
  private deltas = new Map<number, Contribution & { donors: number }>();
  private donorMoves: { campaignId: number; donorKey: string; delta: number }[] = [];

  add(campaignId: number, d: Partial<Contribution>) {
    const cur = this.deltas.get(campaignId) ?? { raised: 0, donation: 0, refunded: 0, disputed: 0, donors: 0 };
    cur.raised += d.raised ?? 0;
    cur.donation += d.donation ?? 0;
    cur.refunded += d.refunded ?? 0;
    cur.disputed += d.disputed ?? 0;
    this.deltas.set(campaignId, cur);
    return cur;
  }

  moveDonor(campaignId: number, donorKey: string, delta: number) {
    this.donorMoves.push({ campaignId, donorKey, delta });
    this.add(campaignId, {});
  }

  get touched(): number[] {
    return [...this.deltas.keys()];
  }

  async apply(trx: Transaction<Database>): Promise<void> {
    const moves = [...this.donorMoves].sort(
      (a, b) => a.campaignId - b.campaignId || (a.donorKey < b.donorKey ? -1 : a.donorKey > b.donorKey ? 1 : 0),
    );
    for (const m of moves) {
      const row = await trx
        .insertInto('campaign_donors')
        .values({ campaign_id: m.campaignId, donor_key: m.donorKey, payments: m.delta })
        .onConflict((oc) => oc.columns(['campaign_id', 'donor_key']).doUpdateSet({ payments: sql`campaign_donors.payments + ${m.delta}` }))
        .returning('payments')
        .executeTakeFirstOrThrow();
      // `donors` counts distinct donors: it moves only when a donor's count crosses zero.
      const totals = this.add(m.campaignId, {});
      if (m.delta > 0 && row.payments === m.delta) totals.donors += 1;
      if (m.delta < 0 && row.payments === 0) {
        totals.donors -= 1;
        await trx
          .deleteFrom('campaign_donors')
          .where('campaign_id', '=', m.campaignId)
          .where('donor_key', '=', m.donorKey)
          .where('payments', '=', 0)
          .execute();
      }
    }
    for (const [campaignId, d] of [...this.deltas.entries()].sort((a, b) => a[0] - b[0])) {
      if (!d.raised && !d.donation && !d.refunded && !d.disputed && !d.donors) continue;
      await trx
        .updateTable('campaign_totals')
        .set({
          raised: sql`raised + ${d.raised}`,
          donations: sql`donations + ${d.donation}`,
          donors: sql`donors + ${d.donors}`,
          refunded: sql`refunded + ${d.refunded}`,
          disputed: sql`disputed + ${d.disputed}`,
          version: sql`version + 1`,
          updated_at: sql`now()`,
        })
        .where('campaign_id', '=', campaignId)
        .execute();
      await notifyProgress(trx, campaignId);
    }
  }
}

/**
 * The donor key, the one definition of "a donor" (SPEC §5): a trimmed, lower-cased e-mail;
 * a payment without one is a donor of its own. Stored on each payment (payments.donor_key): the
 * public progress (campaign_donors) and the admin dashboard both count that column.
 */
export function donorKey(email: string | null | undefined, sourceKey: string): string {
  const e = (email ?? '').trim().toLowerCase();
  return e ? `email:${e}` : `payment:${sourceKey}`;
}

export interface NewPayment {
  gift: Pick<Gift, 'id' | 'campaign_id' | 'email'>;
  sourceKey: string;
  kind: PaymentKind;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  paidAt: Date;
  /** The instant that decides the window: Checkout start, or paid_at for renewals (SPEC §5). */
  countedAt: Date;
  /** countedAt is a stand-in (the gift's creation) until the Checkout Session tells its own
   * time: it never replaces a time already recorded. */
  provisional?: boolean;
  payerEmail?: string | null;
}

export interface StoredEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  payload: string;
}

export interface LedgerDeps {
  /** Told after commit which campaigns moved (read-your-writes in this process). */
  bus?: { emitLocal(campaignId: number): void };
}

/** A ledger bound to one transaction. Get one with withLedger(). */
/** An offline gift (cheque, cash) as the admin enters it. */
export type OfflineGiftInput = {
  giftId: string;
  campaignId: number;
  currency: string;
  amount: number;
  receivedAt: Date;
  name?: string | null;
  email?: string | null;
  note?: string | null;
  showOnWall?: boolean;
  anonymous?: boolean;
};

/** A correction or voiding of an offline gift. */
export type OfflineGiftChange = {
  amount?: number;
  receivedAt?: Date;
  name?: string | null;
  email?: string | null;
  note?: string | null;
  voided?: boolean;
  showOnWall?: boolean;
  anonymous?: boolean;
};

export class Ledger {
  private readonly batch = new TotalsBatch();
  private readonly locked = new Set<string>();

  constructor(readonly trx: Transaction<Database>) {}

  /**
   * Two events about one payment can arrive at once and name it by different ids (the session,
   * the PaymentIntent, the invoice). Each handler first takes a transaction-scoped advisory lock
   * on every Stripe id it knows, in sorted order (so two handlers never wait on each other in a
   * cycle): the second one then sees what the first wrote. Without this, "dispute before
   * payment" and "payment" racing could each miss the other's row.
   */
  async lock(ids: (string | null | undefined)[]): Promise<void> {
    const unique = [...new Set(ids.filter((x): x is string => typeof x === 'string' && x.length > 0 && !this.locked.has(x)))].sort();
    for (const id of unique) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${id}, 0))`.execute(this.trx);
      this.locked.add(id);
    }
  }

  get touched(): number[] {
    return this.batch.touched;
  }

  async finish(): Promise<void> {
    await this.batch.apply(this.trx);
  }

  // ---- events ----

  /** Records an event as being applied now, unless it was already applied (processed, ignored
   * or parked): only then is a delivery a duplicate. The row stays locked until commit, so a
   * concurrent delivery of the same id waits and then sees the outcome. */
  async claimEvent(e: StoredEvent): Promise<boolean> {
    const row = await this.trx
      .insertInto('stripe_events')
      .values({
        id: e.id,
        type: e.type,
        created: e.created,
        livemode: e.livemode,
        outcome: 'failed',
        detail: 'being applied',
        payload: e.payload,
        api_version: e.apiVersion,
      })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ attempts: sql`stripe_events.attempts + 1` })
          .where('stripe_events.outcome', 'in', ['failed', 'unreadable']),
      )
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async finishEvent(id: string, outcome: EventOutcome, detail: string | null, conflict: string | null): Promise<void> {
    await this.trx.updateTable('stripe_events').set({ outcome, detail, conflict }).where('id', '=', id).execute();
  }

  /** Parks an event whose subscription no gift knows yet, with the (pinned) event to replay. */
  async park(eventId: string, subscriptionId: string, event: object): Promise<void> {
    await this.trx
      .insertInto('stripe_parked_events')
      .values({ event_id: eventId, subscription_id: subscriptionId, event: JSON.stringify(event) })
      .onConflict((oc) => oc.column('event_id').doUpdateSet({ event: JSON.stringify(event) }))
      .execute();
  }

  /** Takes the parked events of a subscription, oldest first. */
  async takeParked(subscriptionId: string): Promise<{ id: string; event: unknown }[]> {
    const parked = await this.trx
      .deleteFrom('stripe_parked_events')
      .where('subscription_id', '=', subscriptionId)
      .returning(['event_id', 'event'])
      .execute();
    if (!parked.length) return [];
    const rows = await this.trx
      .selectFrom('stripe_events')
      .where(
        'id',
        'in',
        parked.map((p) => p.event_id),
      )
      .select(['id', 'payload'])
      .orderBy('created')
      .orderBy('id')
      .execute();
    const pinned = new Map(parked.map((p) => [p.event_id, p.event]));
    const parse = (x: unknown) => (typeof x === 'string' ? JSON.parse(x) : x);
    return rows.map((r) => ({ id: r.id, event: parse(pinned.get(r.id) ?? r.payload) }));
  }

  // ---- gifts (what Stripe ids tie to them) ----

  /**
   * The gift a Stripe object belongs to. Stripe's ids decide (SPEC §5: metadata is a hint): the
   * first of `ids` that a gift or a payment already carries wins. Metadata (`hint`) is used only
   * when no id is known yet, and only for a gift not tied to other Stripe objects of the same kind.
   * A hint that disagrees is returned as a conflict: logged and shown, never followed.
   */
  async findGift(by: {
    sessionId?: string | null;
    subscriptionId?: string | null;
    sourceKey?: string | null;
    hint?: string | null;
  }): Promise<{ gift: Gift | undefined; conflict: string | null }> {
    const q = () => this.trx.selectFrom('gifts').selectAll().where('source', '=', 'stripe').forUpdate();
    let gift: Gift | undefined;
    if (by.sourceKey) {
      const p = await this.trx.selectFrom('payments').where('source_key', '=', by.sourceKey).select('gift_id').executeTakeFirst();
      if (p) gift = await q().where('id', '=', p.gift_id).executeTakeFirst();
    }
    if (!gift && by.sessionId) gift = await q().where('checkout_session_id', '=', by.sessionId).executeTakeFirst();
    if (!gift && by.subscriptionId) gift = await q().where('subscription_id', '=', by.subscriptionId).executeTakeFirst();
    const hint = by.hint && UUID.test(by.hint) ? by.hint : null;
    if (gift) {
      return { gift, conflict: hint && hint !== gift.id ? `metadata names gift ${hint}, Stripe ids tie this to gift ${gift.id}` : null };
    }
    if (!hint) return { gift: undefined, conflict: null };
    const hinted = await q().where('id', '=', hint).executeTakeFirst();
    if (!hinted) return { gift: undefined, conflict: null };
    const taken =
      (by.subscriptionId && (hinted.frequency !== 'monthly' || (hinted.subscription_id && hinted.subscription_id !== by.subscriptionId))) ||
      (by.sessionId && hinted.checkout_session_id && hinted.checkout_session_id !== by.sessionId);
    if (taken) return { gift: undefined, conflict: `metadata names gift ${hint}, which Stripe ids tie to other objects` };
    return { gift: hinted, conflict: null };
  }

  /** Stores the Stripe ids a checkout taught us about a gift (never overwriting one it has).
   * Returns true when the gift has just learnt its subscription. */
  async attachToGift(
    gift: Gift,
    ids: {
      sessionId?: string | null;
      paymentIntentId?: string | null;
      subscriptionId?: string | null;
      customerId?: string | null;
      email?: string | null;
    },
  ): Promise<boolean> {
    const next = {
      checkout_session_id: gift.checkout_session_id ?? ids.sessionId ?? null,
      payment_intent_id: gift.payment_intent_id ?? ids.paymentIntentId ?? null,
      subscription_id: gift.subscription_id ?? ids.subscriptionId ?? null,
      customer_id: gift.customer_id ?? ids.customerId ?? null,
      email: gift.email ?? ids.email ?? null,
    };
    const learntSubscription = !gift.subscription_id && next.subscription_id !== null;
    if (
      next.checkout_session_id === gift.checkout_session_id &&
      next.payment_intent_id === gift.payment_intent_id &&
      next.subscription_id === gift.subscription_id &&
      next.customer_id === gift.customer_id &&
      next.email === gift.email
    )
      return false;
    await this.trx
      .updateTable('gifts')
      .set({ ...next, updated_at: sql`now()` })
      .where('id', '=', gift.id)
      .execute();
    Object.assign(gift, next);
    return learntSubscription;
  }

  /** The live monthly gifts a customer pays (read only: whom an expiring card concerns). */
  async liveMonthlyGiftsOfCustomer(customerId: string): Promise<Gift[]> {
    return this.trx
      .selectFrom('gifts')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('frequency', '=', 'monthly')
      .where('status', '=', 'paid')
      .where((eb) => eb.or([eb('subscription_status', 'is', null), eb('subscription_status', 'not in', [...FINAL_SUBSCRIPTION])]))
      .orderBy('created_at')
      .execute();
  }

  async setGiftStatus(gift: Gift, status: GiftStatus): Promise<void> {
    const current = await this.trx.selectFrom('gifts').where('id', '=', gift.id).select('status').executeTakeFirstOrThrow();
    gift.status = current.status;
    if (STATUS_RANK[status] <= STATUS_RANK[gift.status]) return;
    await this.trx.updateTable('gifts').set({ status, updated_at: sql`now()` }).where('id', '=', gift.id).execute();
    gift.status = status;
  }

  /** A subscription's status is replaced, not added: Stripe's order of facts decides (SPEC §5).
   * A final status (canceled) is never left; otherwise the newer fact wins. */
  async setSubscriptionState(
    gift: Gift,
    state: {
      subscriptionId: string;
      status: string;
      asOf: number;
      /** What the subscription charges each period now (a donor may change it on the manage page). */
      amount?: number;
      /** Stripe's cancellation_details: the feedback code and the donor's comment. */
      cancellation?: { feedback: string | null; comment: string | null };
    },
  ): Promise<boolean> {
    const cur = await this.trx
      .selectFrom('gifts')
      .where('id', '=', gift.id)
      .select(['subscription_status', 'subscription_as_of'])
      .executeTakeFirstOrThrow();
    const curFinal = cur.subscription_status !== null && FINAL_SUBSCRIPTION.has(cur.subscription_status);
    const newFinal = FINAL_SUBSCRIPTION.has(state.status);
    const newer =
      cur.subscription_status === null ||
      (!curFinal && (newFinal || cur.subscription_as_of === null || state.asOf >= cur.subscription_as_of)) ||
      (curFinal && newFinal && state.asOf > (cur.subscription_as_of ?? 0));
    if (!newer) return false;
    await this.trx
      .updateTable('gifts')
      .set({
        subscription_id: gift.subscription_id ?? state.subscriptionId,
        subscription_status: state.status,
        subscription_as_of: state.asOf,
        ...(state.amount !== undefined && { subscription_amount: state.amount }),
        ...(state.cancellation && {
          cancel_feedback: state.cancellation.feedback,
          cancel_comment: state.cancellation.comment?.slice(0, 1000) ?? null,
        }),
        updated_at: sql`now()`,
      })
      .where('id', '=', gift.id)
      .execute();
    return true;
  }

  // ---- payments ----

  /**
   * Records a payment once (source_key is unique: a duplicate or the second name of the same
   * money changes nothing) and brings the totals up to date. It counts for the campaign when
   * counted_at falls in the half-open window [starts_at, ends_at) (SPEC §5).
   */
  async recordPayment(np: NewPayment): Promise<{ created: boolean; paymentId: number }> {
    // FOR SHARE: a concurrent edit of the campaign's dates (which recomputes every payment's
    // window) either finishes first or waits for this payment, never misses it.
    const c = await this.trx
      .selectFrom('campaigns')
      .where('id', '=', np.gift.campaign_id)
      .select(['starts_at', 'ends_at'])
      .forShare()
      .executeTakeFirstOrThrow();
    const inWindow = np.kind === 'offline' || (np.countedAt >= c.starts_at && np.countedAt < c.ends_at);
    const inserted = await this.trx
      .insertInto('payments')
      .values({
        gift_id: np.gift.id,
        campaign_id: np.gift.campaign_id,
        source_key: np.sourceKey,
        kind: np.kind,
        payment_intent_id: np.paymentIntentId,
        currency: np.currency.toUpperCase(),
        amount: np.amount,
        paid_at: np.paidAt,
        counted_at: np.countedAt,
        in_window: inWindow,
        donor_key: donorKey(np.gift.email ?? np.payerEmail, np.sourceKey),
      })
      .onConflict((oc) => oc.column('source_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      await this.recompute(inserted.id);
      return { created: true, paymentId: inserted.id };
    }
    const existing = await this.trx
      .selectFrom('payments')
      .where('source_key', '=', np.sourceKey)
      .select(['id', 'payment_intent_id', 'kind', 'counted_at'])
      .forUpdate()
      .executeTakeFirstOrThrow();
    const set: { payment_intent_id?: string; counted_at?: Date; in_window?: boolean } = {};
    if (!existing.payment_intent_id && np.paymentIntentId) set.payment_intent_id = np.paymentIntentId;
    // The first payment of a monthly gift may be recorded from its invoice before the checkout
    // completion says when the session was created: the session's own time wins.
    if (
      np.kind === existing.kind &&
      !np.provisional &&
      np.countedAt.getTime() !== existing.counted_at.getTime() &&
      existing.kind !== 'renewal' &&
      existing.kind !== 'offline'
    ) {
      set.counted_at = np.countedAt;
      set.in_window = np.countedAt >= c.starts_at && np.countedAt < c.ends_at;
    }
    if (Object.keys(set).length) {
      await this.trx.updateTable('payments').set(set).where('id', '=', existing.id).execute();
      await this.recompute(existing.id);
    }
    return { created: false, paymentId: existing.id };
  }

  /** Which PaymentIntents paid an invoice (all of them: an invoice may be paid in parts).
   * They are locked too: a refund or dispute of one of them running at the same time would
   * otherwise not see the payment this transaction is about to write (and vice versa). Lock
   * order stays acyclic: every handler takes in_… before pi_… and nobody takes pi_… before sub_…. */
  async paymentIntentsOfInvoice(invoiceId: string): Promise<string[]> {
    const rows = await this.trx
      .selectFrom('stripe_invoice_payments')
      .where('invoice_id', '=', invoiceId)
      .select('payment_intent_id')
      .orderBy('payment_intent_id')
      .execute();
    const ids = rows.map((r) => r.payment_intent_id);
    await this.lock(ids);
    return ids;
  }

  /** An InvoicePayment: this PaymentIntent paid (part of) this invoice. */
  async linkInvoicePayment(invoiceId: string, paymentIntentId: string): Promise<void> {
    const inserted = await this.trx
      .insertInto('stripe_invoice_payments')
      .values({ invoice_id: invoiceId, payment_intent_id: paymentIntentId })
      .onConflict((oc) => oc.columns(['invoice_id', 'payment_intent_id']).doNothing())
      .returning('invoice_id')
      .executeTakeFirst();
    if (!inserted) return;
    await this.trx
      .updateTable('payments')
      .set({ payment_intent_id: paymentIntentId })
      .where('source_key', '=', invoiceId)
      .where('payment_intent_id', 'is', null)
      .execute();
    await this.recomputeByPaymentIntent(paymentIntentId);
  }

  /** charge.refunded: the charge's cumulative amount_refunded at `asOf`; the newest wins (on a
   * tie the larger, since refunds only grow within one second). */
  async recordChargeRefundSnapshot(s: { chargeId: string; paymentIntentId: string; amountRefunded: number; asOf: number }): Promise<void> {
    await this.trx
      .insertInto('stripe_charge_refunds')
      .values({ charge_id: s.chargeId, payment_intent_id: s.paymentIntentId, amount_refunded: s.amountRefunded, as_of: s.asOf })
      .onConflict((oc) =>
        oc
          .column('charge_id')
          .doUpdateSet({ amount_refunded: s.amountRefunded, as_of: s.asOf })
          .where((eb) =>
            eb.or([
              eb('stripe_charge_refunds.as_of', '<', s.asOf),
              eb.and([eb('stripe_charge_refunds.as_of', '=', s.asOf), eb('stripe_charge_refunds.amount_refunded', '<', s.amountRefunded)]),
            ]),
          ),
      )
      .execute();
    await this.recomputeByPaymentIntent(s.paymentIntentId);
  }

  /** One refund with its own status. A final status (failed, canceled) is never left; within the
   * others the newer fact wins. failed_at remembers when we first saw it fail. */
  async recordRefund(r: {
    refundId: string;
    chargeId: string | null;
    paymentIntentId: string;
    amount: number;
    status: string;
    created: number;
    asOf: number;
    failedAt: number | null;
  }): Promise<void> {
    const cur = await this.trx.selectFrom('stripe_refunds').where('refund_id', '=', r.refundId).selectAll().forUpdate().executeTakeFirst();
    if (!cur) {
      await this.trx
        .insertInto('stripe_refunds')
        .values({
          refund_id: r.refundId,
          charge_id: r.chargeId,
          payment_intent_id: r.paymentIntentId,
          amount: r.amount,
          status: r.status,
          created: r.created,
          failed_at: r.failedAt,
          as_of: r.asOf,
        })
        .execute();
    } else {
      const rank = (s: string) => REFUND_RANK[s] ?? 0;
      const curFinal = rank(cur.status) === 9;
      const newer =
        !curFinal && (rank(r.status) === 9 || r.asOf > cur.as_of || (r.asOf === cur.as_of && rank(r.status) >= rank(cur.status)));
      const failedAt = cur.failed_at !== null && r.failedAt !== null ? Math.min(cur.failed_at, r.failedAt) : (cur.failed_at ?? r.failedAt);
      if (!newer && failedAt === cur.failed_at) return;
      await this.trx
        .updateTable('stripe_refunds')
        .set(
          newer
            ? { status: r.status, amount: r.amount, as_of: r.asOf, failed_at: failedAt, charge_id: cur.charge_id ?? r.chargeId }
            : { failed_at: failedAt },
        )
        .where('refund_id', '=', r.refundId)
        .execute();
    }
    await this.recomputeByPaymentIntent(r.paymentIntentId);
  }

  /** A dispute's state: the newest fact wins (by time, then Stripe's lifecycle order). */
  async recordDispute(d: {
    disputeId: string;
    paymentIntentId: string;
    chargeId: string | null;
    amount: number;
    status: Stripe.Dispute.Status;
    asOf: number;
  }): Promise<boolean> {
    const rank = (s: string) => (isDisputeStatus(s) ? DISPUTE_RANK[s] : 0);
    const existing = await this.trx
      .selectFrom('stripe_disputes')
      .where('dispute_id', '=', d.disputeId)
      .select(['status', 'as_of'])
      .forUpdate()
      .executeTakeFirst();
    if (!existing) {
      await this.trx
        .insertInto('stripe_disputes')
        .values({
          dispute_id: d.disputeId,
          payment_intent_id: d.paymentIntentId,
          charge_id: d.chargeId,
          amount: d.amount,
          status: d.status,
          as_of: d.asOf,
        })
        .execute();
    } else if (existing.as_of < d.asOf || (existing.as_of === d.asOf && rank(d.status) >= rank(existing.status))) {
      await this.trx
        .updateTable('stripe_disputes')
        .set({ amount: d.amount, status: d.status, as_of: d.asOf })
        .where('dispute_id', '=', d.disputeId)
        .execute();
    } else {
      return false;
    }
    await this.recomputeByPaymentIntent(d.paymentIntentId);
    return true;
  }

  // ---- offline gifts (cheques, cash), keyed offline:<gift id> ----

  async recordOfflineGift(input: OfflineGiftInput): Promise<void> {
    await this.trx
      .insertInto('gifts')
      .values({
        id: input.giftId,
        campaign_id: input.campaignId,
        source: 'offline',
        frequency: 'once',
        currency: input.currency,
        amount: input.amount,
        charge_amount: input.amount,
        status: 'paid',
        name: input.name ?? null,
        email: input.email ?? null,
        note: input.note ?? null,
        received_at: input.receivedAt,
        // Offline donors never agreed to be published: hidden from the donor wall unless asked.
        show_on_wall: input.showOnWall ?? false,
        anonymous: input.anonymous ?? false,
      })
      .execute();
    await this.recordPayment({
      gift: { id: input.giftId, campaign_id: input.campaignId, email: input.email ?? null },
      sourceKey: `offline:${input.giftId}`,
      kind: 'offline',
      paymentIntentId: null,
      amount: input.amount,
      currency: input.currency,
      paidAt: input.receivedAt,
      countedAt: input.receivedAt,
    });
  }

  async updateOfflineGift(giftId: string, change: OfflineGiftChange): Promise<void> {
    const gift = await this.trx
      .selectFrom('gifts')
      .where('id', '=', giftId)
      .where('source', '=', 'offline')
      .selectAll()
      .forUpdate()
      .executeTakeFirstOrThrow();
    await this.trx
      .updateTable('gifts')
      .set({
        ...(change.amount !== undefined && { amount: change.amount, charge_amount: change.amount }),
        ...(change.receivedAt !== undefined && { received_at: change.receivedAt }),
        ...(change.name !== undefined && { name: change.name }),
        ...(change.email !== undefined && { email: change.email }),
        ...(change.note !== undefined && { note: change.note }),
        ...(change.showOnWall !== undefined && { show_on_wall: change.showOnWall }),
        ...(change.anonymous !== undefined && { anonymous: change.anonymous }),
        ...(change.voided !== undefined && { status: change.voided ? 'voided' : 'paid', voided_at: change.voided ? sql`now()` : null }),
        updated_at: sql`now()`,
      })
      .where('id', '=', giftId)
      .execute();
    const payment = await this.trx
      .selectFrom('payments')
      .where('source_key', '=', `offline:${giftId}`)
      .selectAll()
      .forUpdate()
      .executeTakeFirstOrThrow();
    const newKey = donorKey(change.email !== undefined ? change.email : gift.email, `offline:${giftId}`);
    if (newKey !== payment.donor_key && payment.applied_donation) {
      // The donor changed: move the counted donation from the old donor to the new one.
      this.batch.moveDonor(payment.campaign_id, payment.donor_key, -payment.applied_donation);
      this.batch.moveDonor(payment.campaign_id, newKey, payment.applied_donation);
    }
    await this.trx
      .updateTable('payments')
      .set({
        ...(change.amount !== undefined && { amount: change.amount }),
        ...(change.receivedAt !== undefined && { paid_at: change.receivedAt, counted_at: change.receivedAt }),
        ...(change.voided !== undefined && { voided: change.voided }),
        donor_key: newKey,
      })
      .where('id', '=', payment.id)
      .execute();
    await this.recompute(payment.id);
  }

  /** Re-decides which payments fall inside a campaign's window after its dates change (same
   * transaction as the edit). */
  async recomputeCampaignWindow(campaignId: number): Promise<void> {
    const c = await this.trx
      .selectFrom('campaigns')
      .where('id', '=', campaignId)
      .select(['starts_at', 'ends_at'])
      .executeTakeFirstOrThrow();
    const inside = sql<boolean>`(counted_at >= ${c.starts_at} and counted_at < ${c.ends_at})`;
    const changed = await this.trx
      .updateTable('payments')
      .set({ in_window: inside })
      .where('campaign_id', '=', campaignId)
      .where('kind', '<>', 'offline')
      .where(sql<boolean>`in_window <> ${inside}`)
      .returning('id')
      .execute();
    for (const r of changed) await this.recompute(r.id);
  }

  // ---- the contribution of one payment, from its facts ----

  private async recomputeByPaymentIntent(paymentIntentId: string): Promise<void> {
    const rows = await this.trx
      .selectFrom('payments')
      .where((eb) =>
        eb.or([
          eb('payment_intent_id', '=', paymentIntentId),
          eb(
            'source_key',
            'in',
            eb.selectFrom('stripe_invoice_payments').where('payment_intent_id', '=', paymentIntentId).select('invoice_id'),
          ),
        ]),
      )
      .select('id')
      .orderBy('id')
      .execute();
    for (const r of rows) await this.recompute(r.id);
  }

  /**
   * Erasure (SPEC §10): the donor's personal data on their gifts is gone and their donor key
   * becomes the pseudonym's, on every payment and campaign donor row. The donor stays one donor
   * under another name, so amounts, donations and donor counts stay exactly as they were; no
   * payment's contribution changes, so nothing is recomputed. Returns the gifts and payments touched.
   */
  async eraseDonor(email: string, pseudonym: string): Promise<{ gifts: number; payments: number }> {
    const from = donorKey(email, '');
    const to = donorKey(pseudonym, '');
    const payments = await this.trx
      .updateTable('payments')
      .set({ donor_key: to, updated_at: sql`now()` })
      .where('donor_key', '=', from)
      .returning('gift_id')
      .execute();
    await this.trx.updateTable('campaign_donors').set({ donor_key: to }).where('donor_key', '=', from).execute();
    const giftIds = [...new Set(payments.map((p) => p.gift_id))];
    const gifts = await this.trx
      .updateTable('gifts')
      .set((eb) => ({
        email: eb.case().when('email', 'is not', null).then(pseudonym).else(null).end(),
        name: null,
        comment: null,
        dedication_name: null,
        note: null,
        client_ip: null,
        updated_at: sql`now()`,
      }))
      .where((eb) =>
        eb.or([eb(sql`lower(trim(email))`, '=', email.trim().toLowerCase()), ...(giftIds.length ? [eb('id', 'in', giftIds)] : [])]),
      )
      .returning('id')
      .execute();
    return { gifts: gifts.length, payments: payments.length };
  }

  private async recompute(paymentId: number): Promise<void> {
    const p = await this.trx
      .selectFrom('payments as p')
      .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
      .where('p.id', '=', paymentId)
      .select([
        'p.id',
        'p.campaign_id',
        'p.source_key',
        'p.payment_intent_id',
        'p.amount',
        'p.currency',
        'p.in_window',
        'p.voided',
        'p.donor_key',
        'p.applied_raised',
        'p.applied_donation',
        'p.applied_refunded',
        'p.applied_disputed',
        'c.currency as campaign_currency',
      ])
      .forUpdate('p')
      .executeTakeFirstOrThrow();

    const { refunded, withheld, lost } = await settlementOf(this.trx, p);

    const counts = p.in_window && !p.voided && p.currency.toUpperCase() === p.campaign_currency.toUpperCase();
    const next: Contribution = {
      raised: counts ? p.amount - refunded - withheld : 0,
      // A payment refunded, or disputed and lost, in full no longer counts as a donation (SPEC §5).
      donation: counts && p.amount - refunded - lost > 0 ? 1 : 0,
      refunded: counts ? refunded : 0,
      disputed: counts ? withheld : 0,
    };
    if (
      next.raised === p.applied_raised &&
      next.donation === p.applied_donation &&
      next.refunded === p.applied_refunded &&
      next.disputed === p.applied_disputed
    )
      return;
    await this.trx
      .updateTable('payments')
      .set({
        applied_raised: next.raised,
        applied_donation: next.donation,
        applied_refunded: next.refunded,
        applied_disputed: next.disputed,
        updated_at: sql`now()`,
      })
      .where('id', '=', p.id)
      .execute();
    this.batch.add(p.campaign_id, {
      raised: next.raised - p.applied_raised,
      donation: next.donation - p.applied_donation,
      refunded: next.refunded - p.applied_refunded,
      disputed: next.disputed - p.applied_disputed,
    });
    if (next.donation !== p.applied_donation) this.batch.moveDonor(p.campaign_id, p.donor_key, next.donation - p.applied_donation);
  }
}

/**
 * What the refunds and disputes of one payment take back now, from the facts: refunded (live
 * refunds, capped at the amount), withheld (held by disputes, open or lost) and lost (the part of
 * withheld that lost disputes keep). The ledger's recompute and every reader that states a
 * payment net of refunds (the annual statement) use this one rule.
 */
export async function settlementOf(
  db: Db,
  p: { amount: number; payment_intent_id: string | null; source_key: string },
): Promise<{ refunded: number; withheld: number; lost: number }> {
  const links = await db.selectFrom('stripe_invoice_payments').where('invoice_id', '=', p.source_key).select('payment_intent_id').execute();
  const pis = [...new Set([p.payment_intent_id, ...links.map((l) => l.payment_intent_id)].filter((x): x is string => x !== null))];
  const refunded = Math.min(await refundedOf(db, pis), p.amount);
  let withheld = 0;
  let lost = 0;
  if (pis.length) {
    const disputes = await db.selectFrom('stripe_disputes').where('payment_intent_id', 'in', pis).select(['amount', 'status']).execute();
    for (const d of disputes) {
      const holds = isDisputeStatus(d.status) ? DISPUTE_HOLDS[d.status] : 'nothing';
      const held = holds === 'amount' ? d.amount : holds === 'unrefunded' ? Math.min(d.amount, Math.max(0, p.amount - refunded)) : 0;
      withheld += held;
      if (holds === 'unrefunded') lost += held;
    }
  }
  return { refunded, withheld, lost };
}

/** What the refunds of these PaymentIntents take back now. Known refunds count by their own
 * status; each charge's newest amount_refunded snapshot adds the refunds we have not seen one
 * by one yet: the snapshot minus the known refunds it may include (created by then and not
 * failed before it; a refund failing in the snapshot's own second is taken as included, since
 * a refund is created before it fails). With every refund known, that remainder is 0 and the
 * result is exact whatever the order of events. */
async function refundedOf(db: Db, paymentIntentIds: string[]): Promise<number> {
  if (!paymentIntentIds.length) return 0;
  const [refunds, snapshots] = await Promise.all([
    db
      .selectFrom('stripe_refunds')
      .where('payment_intent_id', 'in', paymentIntentIds)
      .select(['charge_id', 'amount', 'status', 'created', 'failed_at'])
      .execute(),
    db
      .selectFrom('stripe_charge_refunds')
      .where('payment_intent_id', 'in', paymentIntentIds)
      .select(['charge_id', 'amount_refunded', 'as_of'])
      .execute(),
  ]);
  let total = refunds.filter((r) => refundLive(r.status)).reduce((s, r) => s + r.amount, 0);
  for (const snap of snapshots) {
    const included = refunds
      .filter(
        (r) =>
          (r.charge_id === null || r.charge_id === snap.charge_id) &&
          r.created <= snap.as_of &&
          !(r.failed_at !== null && r.failed_at < snap.as_of),
      )
      .reduce((s, r) => s + r.amount, 0);
    total += Math.max(0, snap.amount_refunded - included);
  }
  return total;
}

const RETRYABLE = new Set(['40P01', '40001', '23505']);

/**
 * Runs fn with a ledger bound to a fresh transaction, applies the totals at its end, and tells
 * the bus after commit. Retries the rare deadlock or serialization failure (the work is
 * idempotent) before giving up with the error.
 */
export async function withLedger<T>(db: Kysely<Database>, deps: LedgerDeps, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      let touched: number[] = [];
      const result = await db.transaction().execute(async (trx) => {
        const ledger = new Ledger(trx);
        const r = await fn(ledger);
        await ledger.finish();
        touched = ledger.touched;
        return r;
      });
      // NOTIFY reaches every instance a moment later; this lets the instance that took the money
      // answer with the new totals at once (read-your-writes for the webhook sender and the admin).
      for (const id of touched) deps.bus?.emitLocal(id);
      return result;
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String(err.code) : '';
      if (attempt < 4 && RETRYABLE.has(code)) continue;
      throw err;
    }
  }
}
