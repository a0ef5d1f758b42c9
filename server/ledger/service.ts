import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database, Gift, PaymentKind } from '../../db/schema.js';
import { notifyProgress } from '../live/bus.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The ledger: every money movement is a row keyed by Stripe's own id (or offline:<gift>), facts
 * about it (refunds, disputes) are rows keyed by their Stripe ids, and each payment remembers
 * what it currently contributes to campaign_totals (applied_*). A change recomputes the
 * payment's contribution from the facts and applies only the difference, inside the same
 * transaction. So any order of delivery, any duplicate, converges on the same totals.
 */

/** Dispute statuses that hold money back: open (needs_response, under_review) or lost.
 * warning_* are inquiries (no money moves); won puts the money back (STRIPE.md). */
const WITHHELD_DISPUTE = ['needs_response', 'under_review', 'lost', 'appeal_needs_response', 'appeal_under_review'];

/**
 * Two events about one payment can arrive at once and name it by different ids (the session,
 * the PaymentIntent, the invoice). Each handler first takes a transaction-scoped advisory lock
 * on every Stripe id it knows, in sorted order (so two handlers never wait on each other in a
 * cycle): the second one then sees what the first wrote. Without this, "dispute before payment"
 * and "payment" racing could each miss the other's row.
 */
export async function lockStripeIds(trx: Transaction<Database>, ids: (string | null | undefined)[]): Promise<void> {
  const unique = [...new Set(ids.filter((x): x is string => typeof x === 'string' && x.length > 0))].sort();
  for (const id of unique) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${id}, 0))`.execute(trx);
  }
}

interface Contribution {
  raised: number;
  donation: number;
  refunded: number;
  disputed: number;
}

/** Changes gathered during one transaction and applied at its end in a fixed order (donor
 * rows sorted, then totals rows sorted), so concurrent transactions cannot deadlock on them. */
export class TotalsBatch {
  private deltas = new Map<number, Contribution & { donors: number }>();
  private donorMoves: { campaignId: number; donorKey: string; delta: number }[] = [];

  add(campaignId: number, d: Contribution) {
    const cur = this.deltas.get(campaignId) ?? { raised: 0, donation: 0, refunded: 0, disputed: 0, donors: 0 };
    cur.raised += d.raised;
    cur.donation += d.donation;
    cur.refunded += d.refunded;
    cur.disputed += d.disputed;
    this.deltas.set(campaignId, cur);
  }

  moveDonor(campaignId: number, donorKey: string, delta: number) {
    this.donorMoves.push({ campaignId, donorKey, delta });
    if (!this.deltas.has(campaignId)) this.add(campaignId, { raised: 0, donation: 0, refunded: 0, disputed: 0 });
  }

  get touched(): number[] {
    return [...this.deltas.keys()];
  }

  async apply(trx: Transaction<Database>): Promise<void> {
    const moves = [...this.donorMoves].sort((a, b) => a.campaignId - b.campaignId || (a.donorKey < b.donorKey ? -1 : a.donorKey > b.donorKey ? 1 : 0));
    for (const m of moves) {
      const row = await trx
        .insertInto('campaign_donors')
        .values({ campaign_id: m.campaignId, donor_key: m.donorKey, payments: m.delta })
        .onConflict((oc) => oc.columns(['campaign_id', 'donor_key']).doUpdateSet({ payments: sql`campaign_donors.payments + ${m.delta}` }))
        .returning('payments')
        .executeTakeFirstOrThrow();
      // `donors` counts distinct donors: it moves only when a donor's count crosses zero.
      if (m.delta > 0 && row.payments === m.delta) this.deltas.get(m.campaignId)!.donors += 1;
      if (m.delta < 0 && row.payments === 0) {
        this.deltas.get(m.campaignId)!.donors -= 1;
        await trx.deleteFrom('campaign_donors').where('campaign_id', '=', m.campaignId).where('donor_key', '=', m.donorKey).where('payments', '=', 0).execute();
      }
    }
    for (const campaignId of [...this.deltas.keys()].sort((a, b) => a - b)) {
      const d = this.deltas.get(campaignId)!;
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

/** Recomputes one payment's contribution from the facts and queues the difference. */
export async function recomputePayment(trx: Transaction<Database>, paymentId: number, batch: TotalsBatch): Promise<void> {
  const p = await trx
    .selectFrom('payments as p')
    .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
    .where('p.id', '=', paymentId)
    .select(['p.id', 'p.campaign_id', 'p.payment_intent_id', 'p.amount', 'p.currency', 'p.in_window', 'p.voided',
      'p.donor_key', 'p.applied_raised', 'p.applied_donation', 'p.applied_refunded', 'p.applied_disputed', 'c.currency as campaign_currency'])
    .forUpdate('p')
    .executeTakeFirstOrThrow();

  let refunded = 0;
  let withheld = 0;
  let lost = 0;
  if (p.payment_intent_id) {
    const r = await trx
      .selectFrom('stripe_charge_refunds')
      .where('payment_intent_id', '=', p.payment_intent_id)
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_refunded'), sql<number>`0`).as('refunded'))
      .executeTakeFirstOrThrow();
    refunded = Number(r.refunded);
    const disputes = await trx
      .selectFrom('stripe_disputes')
      .where('payment_intent_id', '=', p.payment_intent_id)
      .select(['amount', 'status'])
      .execute();
    for (const d of disputes) {
      if (WITHHELD_DISPUTE.includes(d.status)) withheld += d.amount;
      if (d.status === 'lost') lost += d.amount;
    }
  }

  const counts = p.in_window && !p.voided && p.currency.toUpperCase() === p.campaign_currency.toUpperCase();
  const refundedApplied = counts ? Math.min(refunded, p.amount) : 0;
  const disputedApplied = counts ? Math.min(withheld, p.amount - refundedApplied) : 0;
  const next: Contribution = {
    raised: counts ? p.amount - refundedApplied - disputedApplied : 0,
    // A payment refunded, or disputed and lost, in full no longer counts as a donation (SPEC §5).
    donation: counts && p.amount - refunded - lost > 0 ? 1 : 0,
    refunded: refundedApplied,
    disputed: disputedApplied,
  };
  if (
    next.raised === p.applied_raised && next.donation === p.applied_donation &&
    next.refunded === p.applied_refunded && next.disputed === p.applied_disputed
  ) return;

  await trx
    .updateTable('payments')
    .set({ applied_raised: next.raised, applied_donation: next.donation, applied_refunded: next.refunded, applied_disputed: next.disputed, updated_at: sql`now()` })
    .where('id', '=', p.id)
    .execute();
  batch.add(p.campaign_id, {
    raised: next.raised - p.applied_raised,
    donation: next.donation - p.applied_donation,
    refunded: next.refunded - p.applied_refunded,
    disputed: next.disputed - p.applied_disputed,
  });
  if (next.donation !== p.applied_donation) batch.moveDonor(p.campaign_id, p.donor_key, next.donation - p.applied_donation);
}

export async function recomputeByPaymentIntent(trx: Transaction<Database>, paymentIntentId: string, batch: TotalsBatch): Promise<number> {
  const rows = await trx.selectFrom('payments').where('payment_intent_id', '=', paymentIntentId).select('id').orderBy('id').execute();
  for (const r of rows) await recomputePayment(trx, r.id, batch);
  return rows.length;
}

export interface NewPayment {
  gift: Pick<Gift, 'id' | 'campaign_id' | 'email'>;
  sourceKey: string;
  kind: PaymentKind;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  paidAt: Date;
  payerEmail?: string | null;
}

/**
 * Records a payment once (source_key is unique: a duplicate or the second name of the same money
 * changes nothing) and brings the totals up to date. Renewals count for the campaign only when
 * paid inside its window (by the invoice's paid_at, not the webhook's arrival).
 */
export async function recordPayment(trx: Transaction<Database>, np: NewPayment, batch: TotalsBatch): Promise<{ created: boolean; paymentId: number }> {
  let inWindow = true;
  if (np.kind === 'renewal') {
    // FOR SHARE: a concurrent edit of the campaign's dates (which recomputes every renewal's
    // window) either finishes first or waits for this payment, never misses it.
    const c = await trx.selectFrom('campaigns').where('id', '=', np.gift.campaign_id).select(['starts_at', 'ends_at']).forShare().executeTakeFirstOrThrow();
    inWindow = np.paidAt >= c.starts_at && np.paidAt <= c.ends_at;
  }
  const email = (np.gift.email ?? np.payerEmail ?? '').trim().toLowerCase();
  const inserted = await trx
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
      in_window: inWindow,
      // Donors are distinct e-mails, case-insensitive; a payment with no e-mail is its own donor.
      donor_key: email ? `email:${email}` : `payment:${np.sourceKey}`,
    })
    .onConflict((oc) => oc.column('source_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) {
    await recomputePayment(trx, inserted.id, batch);
    return { created: true, paymentId: inserted.id };
  }
  const existing = await trx.selectFrom('payments').where('source_key', '=', np.sourceKey).select(['id', 'payment_intent_id']).executeTakeFirstOrThrow();
  if (!existing.payment_intent_id && np.paymentIntentId) {
    await trx.updateTable('payments').set({ payment_intent_id: np.paymentIntentId }).where('id', '=', existing.id).execute();
    await recomputePayment(trx, existing.id, batch);
  }
  return { created: false, paymentId: existing.id };
}

const commitListeners = new WeakMap<object, Set<(campaignIds: number[]) => void>>();

/**
 * Called in this process right after a ledger transaction that moved totals commits. The NOTIFY
 * reaches every instance a moment later; this lets the instance that took the money answer
 * with the new totals at once (read-your-writes for the webhook sender and the admin).
 */
export function onLedgerCommit(db: Kysely<Database>, fn: (campaignIds: number[]) => void): () => void {
  let set = commitListeners.get(db);
  if (!set) commitListeners.set(db, (set = new Set()));
  set.add(fn);
  return () => void set.delete(fn);
}

/** Runs fn in a transaction with a fresh TotalsBatch applied at its end. Retries the rare
 * deadlock or serialization failure (the work is idempotent) before giving up with the error. */
export async function inLedgerTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>, batch: TotalsBatch) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      let touched: number[] = [];
      const result = await db.transaction().execute(async (trx) => {
        const batch = new TotalsBatch();
        const r = await fn(trx, batch);
        await batch.apply(trx);
        touched = batch.touched;
        return r;
      });
      if (touched.length) for (const listener of commitListeners.get(db) ?? []) listener(touched);
      return result;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt < 4 && (code === '40P01' || code === '40001' || code === '23505')) continue;
      throw err;
    }
  }
}

/** Recomputes every renewal's window membership after a campaign's dates change. */
export async function recomputeCampaignWindow(trx: Transaction<Database>, campaignId: number, batch: TotalsBatch): Promise<void> {
  const c = await trx.selectFrom('campaigns').where('id', '=', campaignId).select(['starts_at', 'ends_at']).executeTakeFirstOrThrow();
  const changed = await trx
    .updateTable('payments')
    .set({ in_window: sql<boolean>`(paid_at >= ${c.starts_at} and paid_at <= ${c.ends_at})` })
    .where('campaign_id', '=', campaignId)
    .where('kind', '=', 'renewal')
    .where(sql<boolean>`in_window <> (paid_at >= ${c.starts_at} and paid_at <= ${c.ends_at})`)
    .returning('id')
    .execute();
  for (const r of changed) await recomputePayment(trx, r.id, batch);
}

/** Offline gifts (cheques, cash) count at once, keyed offline:<gift id>. */
export async function recordOfflineGift(
  db: Kysely<Database>,
  input: { campaignId: number; currency: string; amount: number; receivedAt: Date; name?: string | null; email?: string | null; note?: string | null; giftId: string; showOnWall?: boolean; anonymous?: boolean },
  /** Runs in the same transaction after the gift is written (the admin's audit row). */
  alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  await inLedgerTransaction(db, async (trx, batch) => {
    await trx
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
    await recordPayment(
      trx,
      {
        gift: { id: input.giftId, campaign_id: input.campaignId, email: input.email ?? null },
        sourceKey: `offline:${input.giftId}`,
        kind: 'offline',
        paymentIntentId: null,
        amount: input.amount,
        currency: input.currency,
        paidAt: input.receivedAt,
      },
      batch,
    );
    await alsoInTransaction?.(trx);
  });
}

/** Corrects or voids an offline gift; the totals follow through the same recompute. */
export async function updateOfflineGift(
  db: Kysely<Database>,
  giftId: string,
  change: { amount?: number; receivedAt?: Date; name?: string | null; email?: string | null; note?: string | null; voided?: boolean; showOnWall?: boolean; anonymous?: boolean },
  /** Runs in the same transaction after the change (the admin's audit row). */
  alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  await inLedgerTransaction(db, async (trx, batch) => {
    const gift = await trx.selectFrom('gifts').where('id', '=', giftId).where('source', '=', 'offline').selectAll().forUpdate().executeTakeFirstOrThrow();
    await trx
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
    const payment = await trx.selectFrom('payments').where('source_key', '=', `offline:${giftId}`).selectAll().forUpdate().executeTakeFirstOrThrow();
    const email = change.email !== undefined ? change.email : gift.email;
    const newKey = email ? `email:${email.trim().toLowerCase()}` : `payment:offline:${giftId}`;
    if (newKey !== payment.donor_key && payment.applied_donation) {
      // The donor changed: move the counted donation from the old donor to the new one.
      batch.moveDonor(payment.campaign_id, payment.donor_key, -payment.applied_donation);
      batch.moveDonor(payment.campaign_id, newKey, payment.applied_donation);
    }
    await trx
      .updateTable('payments')
      .set({
        ...(change.amount !== undefined && { amount: change.amount }),
        ...(change.receivedAt !== undefined && { paid_at: change.receivedAt }),
        ...(change.voided !== undefined && { voided: change.voided }),
        donor_key: newKey,
      })
      .where('id', '=', payment.id)
      .execute();
    await recomputePayment(trx, payment.id, batch);
    await alsoInTransaction?.(trx);
  });
}
