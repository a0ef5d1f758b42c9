import { type Kysely, type RawBuilder, type Transaction, sql } from 'kysely';
import type Stripe from 'stripe';
import { isStalePlan } from '../../db/prepared.js';
import type { Database, EventOutcome, Gift, GiftStatus, PaymentKind } from '../../db/schema.js';
import type { Locale } from '../../common/i18n.js';
import { PROGRESS_CHANNEL } from '../live/bus.js';
import { type QueuedMail, mailsCte } from '../mail/queue.js';
import { type MailSink, type ReceiptSource, noteReceiptFacts, queueNewReceipt, queueReceipt, receiptAddress } from '../mail/receipts.js';
import type { MailKind } from '../mail/templates.js';

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

/** STATUS_RANK in SQL (99 for a status it does not name, so nothing moves it). */
const statusRank = (column: RawBuilder<unknown>) =>
  sql`(case ${column} ${sql.join(
    Object.entries(STATUS_RANK).map(([s, r]) => sql`when ${s}::text then ${r}::int`),
    sql` `,
  )} else 99 end)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The facts of a payment's PaymentIntents that decide what it contributes. */
interface PaymentFacts {
  refunds: { charge_id: string | null; amount: number; status: string; created: number; failed_at: number | null }[];
  snapshots: { charge_id: string; amount_refunded: number; as_of: number }[];
  disputes: { amount: number; status: string }[];
}

interface RawFacts {
  refunds: unknown;
  snapshots: unknown;
  disputes: unknown;
}

/** The three json columns (RawFacts) of the facts of the PaymentIntents that `pis` (a subquery
 * of one column) lists. */
function factsColumns(pis: RawBuilder<unknown>) {
  return sql`(select json_agg(json_build_object('charge_id', charge_id, 'amount', amount, 'status', status, 'created', created, 'failed_at', failed_at))
        from stripe_refunds where payment_intent_id in ${pis}) as refunds,
      (select json_agg(json_build_object('charge_id', charge_id, 'amount_refunded', amount_refunded, 'as_of', as_of))
        from stripe_charge_refunds where payment_intent_id in ${pis}) as snapshots,
      (select json_agg(json_build_object('amount', amount, 'status', status))
        from stripe_disputes where payment_intent_id in ${pis}) as disputes`;
}

/** The facts of the PaymentIntents `own` and of those that paid invoice `sourceKey`: a CTE `pis`
 * and three json columns (RawFacts) to select after it. */
function factsSql(own: string[], sourceKey: string) {
  return {
    cte: sql`pis as (
      select unnest(${own}::text[]) as pi
      union select payment_intent_id from stripe_invoice_payments where invoice_id = ${sourceKey}
    )`,
    columns: factsColumns(sql`(select pi from pis)`),
  };
}

function parseFacts(row: RawFacts): PaymentFacts {
  const list = <T>(x: unknown): T[] => (typeof x === 'string' ? JSON.parse(x) : (x ?? [])) as T[];
  return { refunds: list(row.refunds), snapshots: list(row.snapshots), disputes: list(row.disputes) };
}

/** A payment about to be written (recordPayment), with what its statement needs. */
interface PaymentPlan {
  np: NewPayment;
  /** attachToGift's work riding on the payment's statement. */
  attach: { next: ReturnType<typeof attachPlan>['next']; changed: boolean; status: GiftStatus; rank: number } | null;
  donor: string;
  currency: string;
  address: string | null;
  at: Date;
}

/** What recordPayment's statement returns. */
type PaymentRow = RawFacts &
  Omit<ReceiptSource, 'amount' | 'currency' | 'paid_at' | 'kind' | 'gift_id'> & {
    id: number | null;
    in_window: boolean | null;
    applied_raised: number | null;
    applied_donation: number | null;
    receipted: boolean;
    campaign_currency: string;
    gift_status: GiftStatus | null;
  };

/** Tasks running side by side (Ledger.together) and the payments waiting to be written. */
interface Gathering {
  total: number;
  settled: number;
  waiting: { plan: PaymentPlan; resolve(r: { created: boolean; paymentId: number }): void; reject(err: unknown): void }[];
}

/** What recomputing a payment's contribution needs to know about it. */
interface ContributionRow {
  id: number;
  campaign_id: number;
  amount: number;
  currency: string;
  in_window: boolean;
  voided: boolean;
  donor_key: string;
  applied_raised: number;
  applied_donation: number;
  applied_refunded: number;
  applied_disputed: number;
  campaign_currency: string;
  /** What the donor's receipt last stated (null: no receipt owed), read with the payment. */
  receipt_to: string | null;
  receipt_amount: number | string | null;
  receipt_refunded: number | string | null;
  receipt_lost: number | string | null;
  receipt_voided: boolean | null;
  receipt_notices: number | string | null;
}

interface Contribution {
  raised: number;
  donation: number;
  refunded: number;
  disputed: number;
}

/** A donor whose count went to zero is no donor any more: the row goes (rare: refunds). */
async function dropGoneDonors(trx: Transaction<Database>, gone: { campaignId: number; donorKey: string }[]): Promise<void> {
  for (const m of gone)
    await trx
      .deleteFrom('campaign_donors')
      .where('campaign_id', '=', m.campaignId)
      .where('donor_key', '=', m.donorKey)
      .where('payments', '=', 0)
      .execute();
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

  /** `alongside`: data-modifying CTEs (`name as (statement)`) of the transaction's last writes
   * that do not depend on these rows, run in the same statement as the donor upsert. */
  async apply(trx: Transaction<Database>, alongside: RawBuilder<unknown>[] = []): Promise<void> {
    // Moves of one donor add up first: one statement cannot upsert the same row twice.
    const net = new Map<string, { campaignId: number; donorKey: string; delta: number }>();
    for (const m of this.donorMoves) {
      const k = JSON.stringify([m.campaignId, m.donorKey]);
      const cur = net.get(k) ?? { campaignId: m.campaignId, donorKey: m.donorKey, delta: 0 };
      cur.delta += m.delta;
      net.set(k, cur);
    }
    const moves = [...net.values()]
      .filter((m) => m.delta !== 0)
      .sort((a, b) => a.campaignId - b.campaignId || (a.donorKey < b.donorKey ? -1 : a.donorKey > b.donorKey ? 1 : 0));
    if (moves.length && this.deltas.size === 1) {
      // One campaign (a group of webhooks for one campaign, the year-end rush): the donor upsert,
      // the donor count's move (a donor whose count crosses zero) and the totals update in one
      // statement; the totals row is the only one locked after the donor rows, as below.
      const [[campaignId, d]] = [...this.deltas.entries()] as [[number, Contribution & { donors: number }]];
      const values = sql.join(moves.map((m) => sql`(${m.campaignId}::int, ${m.donorKey}::text, ${m.delta}::int)`));
      const { rows } = await sql<{ campaign_id: number; donor_key: string; payments: number }>`with ${sql.join([
        ...alongside,
        sql`v (campaign_id, donor_key, delta) as (values ${values})`,
        sql`d as (insert into campaign_donors (campaign_id, donor_key, payments) select campaign_id, donor_key, delta from v
          on conflict (campaign_id, donor_key) do update set payments = campaign_donors.payments + excluded.payments
          returning campaign_id, donor_key, payments)`,
        sql`n as (select coalesce(sum(case when d.payments - v.delta <= 0 and d.payments > 0 then 1
            when d.payments - v.delta > 0 and d.payments <= 0 then -1 else 0 end), 0)::int8 as moved
          from d join v using (campaign_id, donor_key))`,
        sql`t as (update campaign_totals set raised = raised + ${d.raised}, donations = donations + ${d.donation},
            donors = donors + ${d.donors}::int8 + n.moved, refunded = refunded + ${d.refunded}, disputed = disputed + ${d.disputed},
            version = version + 1, updated_at = now()
          from n where campaign_id = ${campaignId}
            and (${d.raised}::int8 <> 0 or ${d.donation}::int8 <> 0 or ${d.refunded}::int8 <> 0 or ${d.disputed}::int8 <> 0
              or ${d.donors}::int8 + n.moved <> 0)
          returning pg_notify(${PROGRESS_CHANNEL}, campaign_id::text))`,
      ])} select campaign_id, donor_key, payments, (select count(*) from t) as notified from d`.execute(trx);
      await dropGoneDonors(
        trx,
        rows.filter((r) => r.payments === 0).map((r) => ({ campaignId: r.campaign_id, donorKey: r.donor_key })),
      );
      return;
    }
    if (moves.length) {
      // One upsert for all donors, in sorted order (so concurrent transactions cannot deadlock).
      const values = sql.join(moves.map((m) => sql`(${m.campaignId}::int, ${m.donorKey}::text, ${m.delta}::int)`));
      const { rows } = await sql<{ campaign_id: number; donor_key: string; payments: number }>`with ${sql.join([
        ...alongside,
        sql`d as (insert into campaign_donors (campaign_id, donor_key, payments) values ${values}
          on conflict (campaign_id, donor_key) do update set payments = campaign_donors.payments + excluded.payments
          returning campaign_id, donor_key, payments)`,
      ])} select campaign_id, donor_key, payments from d`.execute(trx);
      const gone: typeof moves = [];
      for (const row of rows) {
        const m = net.get(JSON.stringify([row.campaign_id, row.donor_key]))!;
        // `donors` counts distinct donors: it moves only when a donor's count crosses zero.
        const before = row.payments - m.delta;
        const totals = this.add(m.campaignId, {});
        if (before <= 0 && row.payments > 0) totals.donors += 1;
        if (before > 0 && row.payments <= 0) totals.donors -= 1;
        if (row.payments === 0) gone.push(m);
      }
      alongside = [];
      await dropGoneDonors(trx, gone);
    }
    if (alongside.length) await sql`with ${sql.join(alongside)} select 1`.execute(trx);
    for (const [campaignId, d] of [...this.deltas.entries()].sort((a, b) => a[0] - b[0])) {
      if (!d.raised && !d.donation && !d.refunded && !d.disputed && !d.donors) continue;
      // The notification rides on the update (one round trip); delivered only on commit.
      await sql`update campaign_totals set raised = raised + ${d.raised}, donations = donations + ${d.donation},
          donors = donors + ${d.donors}, refunded = refunded + ${d.refunded}, disputed = disputed + ${d.disputed},
          version = version + 1, updated_at = now()
        where campaign_id = ${campaignId}
        returning pg_notify(${PROGRESS_CHANNEL}, campaign_id::text)`.execute(trx);
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
  /** attachToGift's work (the checkout's ids, the status moved forward) in the payment's own
   * statement: one round trip less for a paid one-time checkout. Needs the whole gift. */
  attach?: { ids: GiftIds; status: GiftStatus };
}

/** The Stripe ids a checkout teaches about a gift. */
export interface GiftIds {
  sessionId?: string | null;
  paymentIntentId?: string | null;
  subscriptionId?: string | null;
  customerId?: string | null;
  email?: string | null;
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
  /** The app's clock: when a mail caused by a fact (a receipt) is due. */
  clock?: () => Date;
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
  /** The donor's language for their receipt (common/i18n.ts); null: English. */
  locale?: Locale | null;
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

/** What findGift looks a gift up by. */
export interface GiftLookup {
  sessionId?: string | null;
  subscriptionId?: string | null;
  sourceKey?: string | null;
  hint?: string | null;
}

type FoundGiftRow = Gift & { by_source: boolean | null; via: 'ids' | 'hint' };

const lookupKey = (by: GiftLookup) =>
  JSON.stringify([by.sessionId || null, by.subscriptionId || null, by.sourceKey || null, by.hint || null]);

/** findGift's statement: the gifts Stripe's ids name, locked; the hinted gift (locked) only
 * when no id names one. */
function findGiftQuery(by: GiftLookup) {
  const sourceKey = by.sourceKey || null;
  const sessionId = by.sessionId || null;
  const subscriptionId = by.subscriptionId || null;
  const hint = by.hint && UUID.test(by.hint) ? by.hint : null;
  return sql<FoundGiftRow>`
      with by_ids as (
        select gifts.*, gifts.id = (select gift_id from payments where source_key = ${sourceKey}::text) as by_source
        from gifts
        where source = 'stripe' and (
          gifts.id = (select gift_id from payments where source_key = ${sourceKey}::text)
          or checkout_session_id = ${sessionId}::text
          or subscription_id = ${subscriptionId}::text)
        for update
      ),
      by_hint as (
        select gifts.*, false as by_source from gifts
        where source = 'stripe' and id = ${hint}::uuid and not exists (select 1 from by_ids)
        for update
      )
      select *, 'ids' as via from by_ids union all select *, 'hint' as via from by_hint`;
}

/** Which of findGift's rows is the gift (Stripe ids first; the hint only if nothing ties it elsewhere). */
function pickGift(rows: FoundGiftRow[], by: GiftLookup): { gift: Gift | undefined; conflict: string | null } {
  const sessionId = by.sessionId || null;
  const subscriptionId = by.subscriptionId || null;
  const hint = by.hint && UUID.test(by.hint) ? by.hint : null;
  const strip = (g: FoundGiftRow | undefined): Gift | undefined => {
    if (!g) return undefined;
    const { by_source: _s, via: _v, ...gift } = g;
    return gift;
  };
  const found = rows.filter((g) => g.via === 'ids');
  const gift = strip(
    found.find((g) => g.by_source) ??
      (sessionId ? found.find((g) => g.checkout_session_id === sessionId) : undefined) ??
      (subscriptionId ? found.find((g) => g.subscription_id === subscriptionId) : undefined),
  );
  if (gift) {
    return { gift, conflict: hint && hint !== gift.id ? `metadata names gift ${hint}, Stripe ids tie this to gift ${gift.id}` : null };
  }
  const hinted = strip(rows.find((g) => g.via === 'hint'));
  if (!hinted) return { gift: undefined, conflict: null };
  const taken =
    (by.subscriptionId && (hinted.frequency !== 'monthly' || (hinted.subscription_id && hinted.subscription_id !== by.subscriptionId))) ||
    (by.sessionId && hinted.checkout_session_id && hinted.checkout_session_id !== by.sessionId);
  if (taken) return { gift: undefined, conflict: `metadata names gift ${hint}, which Stripe ids tie to other objects` };
  return { gift: hinted, conflict: null };
}

/** What attachToGift writes: the ids the gift lacks (never overwriting one it has). */
function attachPlan(gift: Gift, ids: GiftIds) {
  const next = {
    checkout_session_id: gift.checkout_session_id ?? ids.sessionId ?? null,
    payment_intent_id: gift.payment_intent_id ?? ids.paymentIntentId ?? null,
    subscription_id: gift.subscription_id ?? ids.subscriptionId ?? null,
    customer_id: gift.customer_id ?? ids.customerId ?? null,
    email: gift.email ?? ids.email ?? null,
  };
  const changed =
    next.checkout_session_id !== gift.checkout_session_id ||
    next.payment_intent_id !== gift.payment_intent_id ||
    next.subscription_id !== gift.subscription_id ||
    next.customer_id !== gift.customer_id ||
    next.email !== gift.email;
  return { next, changed };
}

export class Ledger {
  private readonly batch = new TotalsBatch();
  /** findGift's rows read ahead by prefindGifts, by lookup. */
  private readonly prefound = new Map<string, FoundGiftRow[]>();
  private readonly locked = new Set<string>();
  private readonly finished = new Map<string, { outcome: EventOutcome; detail: string | null; conflict: string | null }>();
  /** Mails the facts of this transaction cause (receipts, corrected notices), queued in order
   * in one statement at its end (finish). */
  private readonly mails: QueuedMail<MailKind>[] = [];
  private readonly mailSink: MailSink = (mail) => {
    this.mails.push(mail);
    return undefined;
  };

  constructor(
    readonly trx: Transaction<Database>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Two events about one payment can arrive at once and name it by different ids (the session,
   * the PaymentIntent, the invoice). Each handler first takes a transaction-scoped advisory lock
   * on every Stripe id it knows, in sorted order (so two handlers never wait on each other in a
   * cycle): the second one then sees what the first wrote. Without this, "dispute before
   * payment" and "payment" racing could each miss the other's row.
   */
  async lock(ids: (string | null | undefined)[]): Promise<void> {
    const unique = [...new Set(ids.filter((x): x is string => typeof x === 'string' && x.length > 0 && !this.locked.has(x)))].sort();
    if (!unique.length) return;
    // One round trip: a function scan yields the array in its order, so the locks are taken
    // one after the other in sorted order, as separate statements would.
    await sql`select pg_advisory_xact_lock(hashtextextended(t.id, 0)) from unnest(${unique}::text[]) with ordinality as t(id, n)`.execute(
      this.trx,
    );
    for (const id of unique) this.locked.add(id);
  }

  get touched(): number[] {
    return this.batch.touched;
  }

  /** The transaction's last writes: the events' outcomes, the mails its facts caused, the donor
   * rows and the totals, in two statements (the totals depend on what the donor upsert returns). */
  async finish(): Promise<void> {
    const last = [this.eventsCte(), mailsCte(this.mails.splice(0))].filter((x): x is RawBuilder<unknown> => x !== null);
    await this.batch.apply(this.trx, last);
  }

  // ---- events ----

  /** Records an event as being applied now, unless it was already applied (processed, ignored
   * or parked): only then is a delivery a duplicate. The row stays locked until commit, so a
   * concurrent delivery of the same id waits and then sees the outcome. */
  async claimEvent(e: StoredEvent): Promise<boolean> {
    return (await this.claimEvents([e])).has(e.id);
  }

  /** claimEvent for several events in one statement (group commit); returns the ids claimed.
   * Rows are inserted in id order, so two transactions claiming overlapping sets wait for each
   * other instead of deadlocking. Ids must be distinct. */
  async claimEvents(events: StoredEvent[]): Promise<Set<string>> {
    if (!events.length) return new Set();
    const rows = await this.claimQuery(events).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** The claim of claimEvents as a query (rows inserted in id order). */
  private claimQuery(events: StoredEvent[]) {
    const sorted = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.trx
      .insertInto('stripe_events')
      .values(
        sorted.map((e) => ({
          id: e.id,
          type: e.type,
          created: e.created,
          livemode: e.livemode,
          outcome: 'failed' as const,
          detail: 'being applied',
          payload: e.payload,
          api_version: e.apiVersion,
        })),
      )
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ attempts: sql`stripe_events.attempts + 1` })
          .where('stripe_events.outcome', 'in', ['failed', 'unreadable']),
      )
      .returning('id');
  }

  /**
   * claimEvents and lock in one round trip (group commit): claims the events, then takes the
   * advisory locks on the Stripe ids of the claimed ones (`lockIds`: event id → its Stripe ids),
   * in sorted order, after the claim as two statements would. Returns the ids claimed.
   */
  async claimAndLock(events: StoredEvent[], lockIds: Map<string, (string | null | undefined)[]>): Promise<Set<string>> {
    if (!events.length) return new Set();
    // (lock id, event) pairs sorted by lock id (JavaScript's order, as lock() uses).
    const pairs: [string, string][] = [];
    for (const e of events)
      for (const id of new Set(lockIds.get(e.id) ?? []))
        if (typeof id === 'string' && id.length > 0 && !this.locked.has(id)) pairs.push([id, e.id]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // The claim runs first: the main query reads its rows before any lock is taken; each lock
    // id once, in the pairs' order (a function scan yields arrays in their order).
    const { rows } = await sql<{ claimed: string[] | null; locks: number | string }>`with ins as (${this.claimQuery(events)}),
        claimed as (select coalesce(array_agg(id), '{}') as ids from ins)
      select claimed.ids as claimed,
        (select count(pg_advisory_xact_lock(hashtextextended(l.id, 0))) from (
          select t.id, min(t.n) as n from unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]) with ordinality as t(id, ev, n)
          where t.ev = any(claimed.ids) group by t.id order by min(t.n)) l) as locks
      from claimed`.execute(this.trx);
    const claimed = new Set(rows[0]?.claimed ?? []);
    for (const [id, ev] of pairs) if (claimed.has(ev)) this.locked.add(id);
    return claimed;
  }

  /** The outcome of a claimed event. Written with the others at the end of the transaction
   * (finish), in one statement; a later call for the same id (a parked event replayed) wins. */
  async finishEvent(id: string, outcome: EventOutcome, detail: string | null, conflict: string | null): Promise<void> {
    this.finished.delete(id);
    this.finished.set(id, { outcome, detail, conflict });
  }

  /** The outcomes finished so far, as a CTE for finish()'s statement (null: none). */
  private eventsCte(): RawBuilder<unknown> | null {
    if (!this.finished.size) return null;
    const rows = [...this.finished.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.finished.clear();
    const values = sql.join(rows.map(([id, f]) => sql`(${id}::text, ${f.outcome}::text, ${f.detail}::text, ${f.conflict}::text)`));
    return sql`events_done as (update stripe_events as e set outcome = v.outcome, detail = v.detail, conflict = v.conflict
      from (values ${values}) as v(id, outcome, detail, conflict) where e.id = v.id)`;
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
  async findGift(by: GiftLookup): Promise<{ gift: Gift | undefined; conflict: string | null }> {
    const key = lookupKey(by);
    const found = this.prefound.get(key);
    if (found) {
      // Read by prefindGifts in this transaction, for this lookup only, and used once.
      this.prefound.delete(key);
      return pickGift(found, by);
    }
    const { rows } = await findGiftQuery(by).execute(this.trx);
    return pickGift(rows, by);
  }

  /**
   * findGift for several lookups in one round trip (group commit): the same statement per lookup,
   * one after the other, their rows kept for the findGift call of each lookup that follows.
   * Only for lookups that cannot see each other's writes: the caller passes lookups whose Stripe
   * ids and hints are all different, and if two of them found a same gift, nothing is kept (each
   * then reads its own, after the other's writes). Returns whether the rows were kept: then no
   * event of the group sees another's writes (they may run together()).
   */
  async prefindGifts(lookups: GiftLookup[]): Promise<boolean> {
    if (lookups.length < 2) return false;
    const union = sql.join(
      lookups.map((by, n) => sql`(select ${n}::int as lookup, q.* from (${findGiftQuery(by)}) q)`),
      sql` union all `,
    );
    // A statement that starts with `select` (not a parenthesis): db/prepared.ts prepares it, one
    // plan per group size instead of planning every lookup's subquery for every group.
    const { rows } = await sql<FoundGiftRow & { lookup: number }>`select * from (${union}) as found`.execute(this.trx);
    const byLookup = lookups.map(() => [] as FoundGiftRow[]);
    const owner = new Map<string, number>();
    for (const { lookup, ...row } of rows) {
      if ((owner.get(row.id) ?? lookup) !== lookup) return false;
      owner.set(row.id, lookup);
      byLookup[lookup]!.push(row);
    }
    lookups.forEach((by, n) => this.prefound.set(lookupKey(by), byLookup[n]!));
    return true;
  }

  /** Stores the Stripe ids a checkout taught us about a gift (never overwriting one it has).
   * Returns true when the gift has just learnt its subscription. */
  async attachToGift(
    gift: Gift,
    ids: GiftIds,
    /** Moves the gift's status forward too (as setGiftStatus), in the same statement. */
    status?: GiftStatus,
  ): Promise<boolean> {
    const { next, changed } = attachPlan(gift, ids);
    const learntSubscription = !gift.subscription_id && next.subscription_id !== null;
    if (!changed) {
      if (status) await this.setGiftStatus(gift, status);
      return false;
    }
    const row = await this.trx
      .updateTable('gifts')
      .set({
        ...next,
        ...(status && {
          status: sql<GiftStatus>`case when ${statusRank(sql.ref('status'))} < ${STATUS_RANK[status]}::int then ${status} else status end`,
        }),
        updated_at: sql`now()`,
      })
      .where('id', '=', gift.id)
      .returning('status')
      .executeTakeFirstOrThrow();
    Object.assign(gift, next);
    gift.status = row.status;
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
    // One round trip: the status moves only forward (STATUS_RANK), read and written together.
    const row = await sql<{ before: GiftStatus; after: GiftStatus | null }>`with cur as (select status from gifts where id = ${gift.id}),
      upd as (update gifts set status = ${status}, updated_at = now() where id = ${gift.id} and ${statusRank(sql.ref('status'))} < ${STATUS_RANK[status]}::int returning status)
      select cur.status as before, upd.status as after from cur left join upd on true`
      .execute(this.trx)
      .then((r) => r.rows[0]);
    if (!row) throw new Error(`gift ${gift.id} not found`);
    gift.status = row.after ?? row.before;
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
    // Handlers running side by side (together): a paid checkout's payment waits for the others'
    // and all are written in one statement (writePayments).
    const g = this.gathering;
    if (g && np.attach) {
      return new Promise((resolve, reject) => {
        g.waiting.push({ plan: this.planPayment(np), resolve, reject });
        this.flushWhenAllWait();
      });
    }
    const plan = this.planPayment(np);
    return this.afterInsert(plan, await this.insertPaymentQuery(plan).then((r) => r.rows[0]));
  }

  /** What recordPayment's statement writes besides the NewPayment itself. attachToGift's plan
   * is applied to the gift object at once, as before the statement. */
  private planPayment(np: NewPayment): PaymentPlan {
    let attach: PaymentPlan['attach'] = null;
    if (np.attach) {
      const gift = np.gift as Gift;
      const { next, changed } = attachPlan(gift, np.attach.ids);
      attach = { next, changed, status: np.attach.status, rank: STATUS_RANK[np.attach.status] };
      Object.assign(gift, next);
    }
    return {
      np,
      attach,
      donor: donorKey(np.gift.email ?? np.payerEmail, np.sourceKey),
      currency: np.currency.toUpperCase(),
      address: receiptAddress(np.gift.email ?? np.payerEmail),
      at: this.clock(),
    };
  }

  /** recordPayment's statement for one payment. */
  private insertPaymentQuery(plan: PaymentPlan) {
    // FOR SHARE: a concurrent edit of the campaign's dates (which recomputes every payment's
    // window) either finishes first or waits for this payment, never misses it. One round trip:
    // the window, the insert and the facts already known about its PaymentIntents (a refund or
    // dispute may arrive before the payment), read after this transaction's id locks.
    //
    // The same statement records the receipt owed (receipt_statements: what the donor is told)
    // and reads what the receipt states (ReceiptSource); the mail itself is queued with the
    // transaction's others (finish). And when no fact about its PaymentIntents is known yet (the
    // usual case), it writes the payment's contribution with it (applied_*: counts ? amount : 0,
    // one donation if it counts), which contribute() below checks against its own rule and
    // corrects if they differ: no second round trip to update the row just inserted.
    // attachToGift's update rides on this statement (the gift row is read below as it was, for
    // columns the update does not touch; its new status comes back as gift_status).
    const { np, donor, currency, address, at } = plan;
    let attach: RawBuilder<unknown> = sql``;
    if (plan.attach) {
      const { next, changed, status, rank } = plan.attach;
      const update = this.trx
        .updateTable('gifts')
        .set({
          ...(changed && next),
          status: sql<GiftStatus>`case when ${statusRank(sql.ref('status'))} < ${rank}::int then ${status} else status end`,
          updated_at: sql`now()`,
        })
        .where('id', '=', np.gift.id)
        // Only the status to move: no write (nor updated_at) when it has nowhere to go, as setGiftStatus.
        .$if(!changed, (q) => q.where(statusRank(sql.ref('status')), '<', rank))
        .returning('status');
      attach = sql`ga as (${update}),`;
    }
    const facts = factsSql(np.paymentIntentId ? [np.paymentIntentId] : [], np.sourceKey);
    const countedAt = sql`${np.countedAt.toISOString()}::timestamptz`;
    return sql<PaymentRow>`
      with ${attach} c as (select id, starts_at, ends_at, currency, title from campaigns where id = ${np.gift.campaign_id} for share),
      ${facts.cte},
      f as (select ${facts.columns}),
      w as (
        select c.id, ${np.kind === 'offline'}::boolean or (${countedAt} >= c.starts_at and ${countedAt} < c.ends_at) as in_window,
          f.refunds is null and f.snapshots is null and f.disputes is null and upper(c.currency) = ${currency} as plain
        from c cross join f
      ),
      ins as (
        insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at, in_window, donor_key,
          applied_raised, applied_donation)
        select ${np.gift.id}::uuid, w.id, ${np.sourceKey}, ${np.kind}, ${np.paymentIntentId}::text, ${currency}, ${np.amount}::bigint,
          ${np.paidAt.toISOString()}::timestamptz, ${countedAt}, w.in_window, ${donor},
          case when w.plain and w.in_window then ${np.amount}::bigint else 0 end,
          case when w.plain and w.in_window and ${np.amount}::bigint > 0 then 1 else 0 end
        from w
        on conflict (source_key) do nothing
        returning id, in_window, applied_raised, applied_donation
      ),
      rs as (
        insert into receipt_statements (payment_id, to_address, amount, refunded, lost, voided, notices, updated_at)
        select ins.id, ${address}::text, ${np.amount}::bigint, 0, 0, false, 0, ${at.toISOString()}::timestamptz from ins where ${address}::text is not null
        on conflict (payment_id) do nothing
        returning payment_id
      )
      select ins.id, ins.in_window, ins.applied_raised, ins.applied_donation, rs.payment_id is not null as receipted,
        c.currency as campaign_currency, c.title, g.name, g.frequency, g.fee_amount, g.charge_amount, g.dedication_kind, g.dedication_name,
        f.refunds, f.snapshots, f.disputes, ${plan.attach ? sql`(select status from ga)` : sql`null::text`} as gift_status
      from c cross join f left join ins on true left join rs on true left join gifts g on g.id = ${np.gift.id}::uuid`.execute(this.trx);
  }

  /**
   * Several paid checkouts' payments (with their gifts' attach) in one statement: the same work
   * as insertPaymentQuery row by row, its text the same for any number of them (arrays), so it
   * is prepared once. Each row reads the facts of its own PaymentIntents and its gift as they
   * were before the statement, as the single statement does. Payments and gifts must be
   * distinct (the caller runs duplicates one by one).
   */
  private insertPaymentsQuery(plans: PaymentPlan[]) {
    const col = <T>(f: (p: PaymentPlan) => T) => plans.map(f);
    const a = (p: PaymentPlan) => p.attach;
    return sql<PaymentRow & { n: number | string }>`
      with v as (
        select * from unnest(${col((p) => p.np.gift.id)}::uuid[], ${col((p) => p.np.gift.campaign_id)}::int[], ${col((p) => p.np.sourceKey)}::text[],
          ${col((p) => p.np.kind)}::text[], ${col((p) => p.np.paymentIntentId)}::text[], ${col((p) => p.currency)}::text[], ${col((p) => p.np.amount)}::int8[],
          ${col((p) => p.np.paidAt.toISOString())}::timestamptz[], ${col((p) => p.np.countedAt.toISOString())}::timestamptz[], ${col((p) => p.donor)}::text[],
          ${col((p) => p.address)}::text[], ${col((p) => p.at.toISOString())}::timestamptz[],
          ${col((p) => a(p) !== null)}::bool[], ${col((p) => a(p)?.changed ?? false)}::bool[],
          ${col((p) => a(p)?.next.checkout_session_id ?? null)}::text[], ${col((p) => a(p)?.next.payment_intent_id ?? null)}::text[],
          ${col((p) => a(p)?.next.subscription_id ?? null)}::text[], ${col((p) => a(p)?.next.customer_id ?? null)}::text[],
          ${col((p) => a(p)?.next.email ?? null)}::text[], ${col((p) => a(p)?.status ?? null)}::text[], ${col((p) => a(p)?.rank ?? null)}::int[])
          with ordinality as v(gift_id, campaign_id, source_key, kind, pi, currency, amount, paid_at, counted_at, donor, address, at,
            attach, changed, session_id, payment_intent_id, subscription_id, customer_id, email, to_status, to_rank, n)
      ),
      ga as (
        update gifts as g set
          checkout_session_id = case when v.changed then v.session_id else g.checkout_session_id end,
          payment_intent_id = case when v.changed then v.payment_intent_id else g.payment_intent_id end,
          subscription_id = case when v.changed then v.subscription_id else g.subscription_id end,
          customer_id = case when v.changed then v.customer_id else g.customer_id end,
          email = case when v.changed then v.email else g.email end,
          status = case when ${statusRank(sql.ref('g.status'))} < v.to_rank then v.to_status else g.status end,
          updated_at = now()
        from v
        where g.id = v.gift_id and v.attach and (v.changed or ${statusRank(sql.ref('g.status'))} < v.to_rank)
        returning g.id, g.status
      ),
      c as (select id, starts_at, ends_at, currency, title from campaigns where id in (select campaign_id from v) for share),
      f as (
        select v.n, ${factsColumns(sql`(select v.pi where v.pi is not null
          union select payment_intent_id from stripe_invoice_payments where invoice_id = v.source_key)`)}
        from v
      ),
      w as (
        select v.n, c.id, v.kind = 'offline' or (v.counted_at >= c.starts_at and v.counted_at < c.ends_at) as in_window,
          f.refunds is null and f.snapshots is null and f.disputes is null and upper(c.currency) = v.currency as plain
        from v join c on c.id = v.campaign_id join f on f.n = v.n
      ),
      ins as (
        insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at, in_window, donor_key,
          applied_raised, applied_donation)
        select v.gift_id, w.id, v.source_key, v.kind, v.pi, v.currency, v.amount, v.paid_at, v.counted_at, w.in_window, v.donor,
          case when w.plain and w.in_window then v.amount else 0 end,
          case when w.plain and w.in_window and v.amount > 0 then 1 else 0 end
        from v join w on w.n = v.n
        order by v.source_key
        on conflict (source_key) do nothing
        returning id, source_key, in_window, applied_raised, applied_donation
      ),
      rs as (
        insert into receipt_statements (payment_id, to_address, amount, refunded, lost, voided, notices, updated_at)
        select ins.id, v.address, v.amount, 0, 0, false, 0, v.at from ins join v on v.source_key = ins.source_key where v.address is not null
        on conflict (payment_id) do nothing
        returning payment_id
      )
      select v.n, ins.id, ins.in_window, ins.applied_raised, ins.applied_donation, rs.payment_id is not null as receipted,
        c.currency as campaign_currency, c.title, g.name, g.frequency, g.fee_amount, g.charge_amount, g.dedication_kind, g.dedication_name,
        f.refunds, f.snapshots, f.disputes, case when v.attach then ga.status end as gift_status
      from v join c on c.id = v.campaign_id join f on f.n = v.n left join ins on ins.source_key = v.source_key
        left join rs on rs.payment_id = ins.id left join gifts g on g.id = v.gift_id left join ga on ga.id = v.gift_id
      order by v.n`.execute(this.trx);
  }

  /** Payments waiting together (recordPayment inside together()), in the order they came. */
  private async writePayments(plans: PaymentPlan[]): Promise<{ created: boolean; paymentId: number }[]> {
    const out: { created: boolean; paymentId: number }[] = [];
    const keys = new Set(plans.map((p) => p.np.sourceKey));
    const gifts = new Set(plans.map((p) => p.np.gift.id));
    if (plans.length < 2 || keys.size < plans.length || gifts.size < plans.length) {
      // One statement cannot write the same payment or gift twice: one by one, in order.
      for (const plan of plans) out.push(await this.afterInsert(plan, await this.insertPaymentQuery(plan).then((r) => r.rows[0])));
      return out;
    }
    const { rows } = await this.insertPaymentsQuery(plans);
    const byN = new Map(rows.map((r) => [Number(r.n), r]));
    for (const [i, plan] of plans.entries()) out.push(await this.afterInsert(plan, byN.get(i + 1)));
    return out;
  }

  /** Handlers running side by side, for together(). */
  private gathering: Gathering | null = null;

  /**
   * Runs tasks side by side in this transaction (group commit; the connection still runs one
   * statement at a time). The paid checkouts' payments they record wait until every task either
   * waits on one or is done, then are written in one statement (writePayments): one round trip
   * for the group instead of one per event. Only for tasks that cannot see each other's writes
   * (the group's gift lookups were read ahead: prefindGifts returned true). Returns once every
   * task has settled, so none is still using the transaction when the caller ends it.
   */
  async together<T>(tasks: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
    const g: Gathering = { total: tasks.length, settled: 0, waiting: [] };
    this.gathering = g;
    try {
      return await Promise.allSettled(
        tasks.map(async (task) => {
          try {
            return await task();
          } finally {
            g.settled++;
            this.flushWhenAllWait();
          }
        }),
      );
    } finally {
      this.gathering = null;
    }
  }

  private flushWhenAllWait(): void {
    const g = this.gathering;
    if (!g || !g.waiting.length || g.settled + g.waiting.length < g.total) return;
    const batch = g.waiting.splice(0);
    this.writePayments(batch.map((w) => w.plan)).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }

  /** After a payment's statement: its receipt queued, its first contribution (or, when it was
   * recorded before, what this delivery adds to it). */
  private async afterInsert(plan: PaymentPlan, row: PaymentRow | undefined): Promise<{ created: boolean; paymentId: number }> {
    const { np, donor, currency, address, at } = plan;
    if (!row) throw new Error(`campaign ${np.gift.campaign_id} not found`);
    if (plan.attach && row.gift_status) (np.gift as Gift).status = row.gift_status;
    if (row.id !== null) {
      // Every paid payment gets its receipt, counted or not (SPEC §10), queued with the payment
      // itself; contribute() below sends a corrected notice at once if a refund or dispute of
      // this money arrived before the payment did.
      if (row.receipted)
        queueNewReceipt(
          this.mailSink,
          row.id,
          address!,
          { ...row, amount: np.amount, currency, paid_at: np.paidAt, kind: np.kind, gift_id: np.gift.id },
          at,
        );
      // A new payment has not counted in the totals yet: its first contribution follows from its
      // facts (the row holds what the insert wrote).
      await this.contribute(
        {
          id: row.id,
          campaign_id: np.gift.campaign_id,
          amount: np.amount,
          currency,
          in_window: row.in_window === true,
          voided: false,
          donor_key: donor,
          applied_raised: Number(row.applied_raised),
          applied_donation: Number(row.applied_donation),
          applied_refunded: 0,
          applied_disputed: 0,
          campaign_currency: row.campaign_currency,
          receipt_to: row.receipted ? address : null,
          receipt_amount: np.amount,
          receipt_refunded: 0,
          receipt_lost: 0,
          receipt_voided: false,
          receipt_notices: 0,
        },
        parseFacts(row),
        true,
      );
      return { created: true, paymentId: row.id };
    }
    const c = await this.trx
      .selectFrom('campaigns')
      .where('id', '=', np.gift.campaign_id)
      .select(['starts_at', 'ends_at'])
      .executeTakeFirstOrThrow();
    const existing = await this.trx
      .selectFrom('payments')
      .where('source_key', '=', np.sourceKey)
      .select(['id', 'payment_intent_id', 'kind', 'counted_at'])
      .forUpdate()
      .executeTakeFirstOrThrow();
    // Recorded before any e-mail was known (an invoice without customer_email): the receipt goes
    // out once one is (queueReceipt does nothing for a payment that has its receipt).
    const receiptQueued = await queueReceipt(this.trx, existing.id, np.gift.email ?? np.payerEmail, this.clock(), this.mailSink);
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
    if (Object.keys(set).length) await this.trx.updateTable('payments').set(set).where('id', '=', existing.id).execute();
    if (Object.keys(set).length || receiptQueued) await this.recompute(existing.id);
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
        locale: input.locale ?? null,
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
    // An e-mail added to a gift that had none: its receipt goes out now.
    if (change.email) await queueReceipt(this.trx, payment.id, change.email, this.clock(), this.mailSink);
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

  /** What the refunds of a payment's PaymentIntents take back now. Known refunds count by their
   * own status; each charge's newest amount_refunded snapshot adds the refunds we have not seen
   * one by one yet: the snapshot minus the known refunds it may include (created by then and not
   * failed before it; a refund failing in the snapshot's own second is taken as included, since
   * a refund is created before it fails). With every refund known, that remainder is 0 and the
   * result is exact whatever the order of events. */
  static refundedOf(facts: PaymentFacts): number {
    const { refunds, snapshots } = facts;
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

  /** Every fact about a payment's PaymentIntents (its own and those that paid its invoice) in
   * one round trip, read after the payment row is locked (a fresh snapshot in READ COMMITTED). */
  private async factsOf(p: { source_key: string; payment_intent_id: string | null }): Promise<PaymentFacts> {
    const facts = factsSql(p.payment_intent_id ? [p.payment_intent_id] : [], p.source_key);
    const row = await sql<RawFacts>`with ${facts.cte} select ${facts.columns}`.execute(this.trx).then((r) => r.rows[0]!);
    return parseFacts(row);
  }

  private async recompute(paymentId: number): Promise<void> {
    const p = await this.trx
      .selectFrom('payments as p')
      .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
      // What the donor was last told (no row: no receipt owed), read with the payment: no extra round trip.
      .leftJoin('receipt_statements as r', 'r.payment_id', 'p.id')
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
        'r.to_address as receipt_to',
        'r.amount as receipt_amount',
        'r.refunded as receipt_refunded',
        'r.lost as receipt_lost',
        'r.voided as receipt_voided',
        'r.notices as receipt_notices',
      ])
      .forUpdate('p')
      .executeTakeFirstOrThrow();
    await this.contribute(p, await this.factsOf(p));
  }

  /** Brings a payment's contribution (applied_*) to what its facts say, and the totals by the
   * difference. `fresh`: the payment was inserted in this transaction with p's applied_* and has
   * not counted in the totals yet (they move by all of it; the row is written only if it differs). */
  private async contribute(p: ContributionRow, facts: PaymentFacts, fresh = false): Promise<void> {
    const { refunded, withheld, lost } = settle(p.amount, facts);

    // What the receipt states follows the facts whether or not the payment counts for a campaign.
    const receipt = { amount: p.amount, refunded, lost, voided: p.voided };
    const told =
      p.receipt_to === null
        ? null
        : {
            to: p.receipt_to,
            amount: Number(p.receipt_amount),
            refunded: Number(p.receipt_refunded),
            lost: Number(p.receipt_lost),
            voided: p.receipt_voided === true,
            notices: Number(p.receipt_notices),
          };
    await noteReceiptFacts(this.trx, p.id, told, receipt, this.clock(), this.mailSink);

    const counts = p.in_window && !p.voided && p.currency.toUpperCase() === p.campaign_currency.toUpperCase();
    const next: Contribution = {
      raised: counts ? p.amount - refunded - withheld : 0,
      // A payment refunded, or disputed and lost, in full no longer counts as a donation (SPEC §5).
      donation: counts && p.amount - refunded - lost > 0 ? 1 : 0,
      refunded: counts ? refunded : 0,
      disputed: counts ? withheld : 0,
    };
    const same = (a: Contribution, b: Contribution) =>
      a.raised === b.raised && a.donation === b.donation && a.refunded === b.refunded && a.disputed === b.disputed;
    const written: Contribution = {
      raised: p.applied_raised,
      donation: p.applied_donation,
      refunded: p.applied_refunded,
      disputed: p.applied_disputed,
    };
    // What the totals hold of this payment now.
    const counted: Contribution = fresh ? { raised: 0, donation: 0, refunded: 0, disputed: 0 } : written;
    if (!same(next, written)) {
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
    }
    if (same(next, counted)) return;
    this.batch.add(p.campaign_id, {
      raised: next.raised - counted.raised,
      donation: next.donation - counted.donation,
      refunded: next.refunded - counted.refunded,
      disputed: next.disputed - counted.disputed,
    });
    if (next.donation !== counted.donation) this.batch.moveDonor(p.campaign_id, p.donor_key, next.donation - counted.donation);
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
  const f = factsSql(p.payment_intent_id ? [p.payment_intent_id] : [], p.source_key);
  const row = await sql<RawFacts>`with ${f.cte} select ${f.columns}`.execute(db).then((r) => r.rows[0]!);
  return settle(p.amount, parseFacts(row));
}

/** What a payment's facts take back: refunds, disputes holding money, and the part of those lost. */
function settle(amount: number, facts: PaymentFacts): { refunded: number; withheld: number; lost: number } {
  const refunded = Math.min(Ledger.refundedOf(facts), amount);
  let withheld = 0;
  let lost = 0;
  for (const d of facts.disputes) {
    const holds = isDisputeStatus(d.status) ? DISPUTE_HOLDS[d.status] : 'nothing';
    const held = holds === 'amount' ? d.amount : holds === 'unrefunded' ? Math.min(d.amount, Math.max(0, amount - refunded)) : 0;
    withheld += held;
    if (holds === 'unrefunded') lost += held;
  }
  return { refunded, withheld, lost };
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
        const ledger = new Ledger(trx, deps.clock);
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
      // A prepared statement whose result columns changed (a migration added a column under a
      // `select *`): the transaction rolled back; the retry prepares it anew (db/prepared.ts).
      if (attempt < 4 && (RETRYABLE.has(code) || isStalePlan(err))) continue;
      throw err;
    }
  }
}
