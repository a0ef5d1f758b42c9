import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { isCursorTimestamp } from '../lib/validation.js';
import type { DonationFilter, DonationStatus } from './schemas.js';

/**
 * Donations as the admin sees them: one row per gift with what its payments currently count
 * for (the ledger's applied_* columns), and a display status that folds refunds and disputes
 * into the gift's own status.
 */

/** One gift's payments summed: a lateral join, so a page of gifts reads only its own payments. */
function giftsWithMoney(db: Kysely<Database>) {
  return (
    db
      .selectFrom('gifts as g')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('payments as p')
            .whereRef('p.gift_id', '=', 'g.id')
            .select([
              sql<number>`coalesce(sum(p.amount) filter (where p.in_window and not p.voided), 0)::int8`.as('counted'),
              sql<number>`coalesce(sum(p.applied_raised), 0)::int8`.as('raised'),
              sql<number>`coalesce(sum(p.applied_refunded), 0)::int8`.as('refunded'),
              sql<number>`coalesce(sum(p.applied_disputed), 0)::int8`.as('disputed'),
              sql<number>`count(p.id)::int8`.as('payment_count'),
            ])
            .as('m'),
        (join) => join.onTrue(),
      )
      // The books (server/ledger/books.ts): Stripe's fee and the net of the gift's charges, and
      // the payouts they went out in; null until Stripe's balance transactions are known.
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('stripe_balance_transactions as bt')
            .leftJoin('stripe_payouts as po', 'po.id', 'bt.payout_id')
            .where('bt.type', '=', 'charge')
            .where(
              'bt.payment_intent_id',
              'in',
              eb.selectFrom('payments as p2').whereRef('p2.gift_id', '=', 'g.id').select('p2.payment_intent_id'),
            )
            .select([
              sql<number | null>`sum(bt.fee)::int8`.as('stripe_fee'),
              sql<number | null>`sum(bt.net)::int8`.as('net'),
              sql<string | null>`string_agg(distinct bt.payout_id, '; ')`.as('payout_ids'),
              sql<string | null>`string_agg(distinct to_char(to_timestamp(po.arrival_date) at time zone 'UTC', 'YYYY-MM-DD'), '; ')`.as(
                'payout_dates',
              ),
            ])
            .as('b'),
        (join) => join.onTrue(),
      )
  );
}

/** Refund and dispute states only mean something for money that arrived (status paid). */
const displayStatus = sql<DonationStatus>`(case
  when g.status <> 'paid' then g.status
  when m.disputed > 0 then 'disputed'
  when m.refunded > 0 and m.refunded >= m.counted then 'refunded'
  when m.refunded > 0 then 'partially_refunded'
  else 'paid' end)`;

// Rows sort by (created_at, id); the cursor carries created_at at full microsecond precision,
// which a JS Date would round and so skip or repeat rows created within one millisecond.
const cursorTs = sql<string>`to_char(g.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): unknown[] | undefined {
  if (!cursor) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function selectDonation(db: Kysely<Database>) {
  return giftsWithMoney(db).select([
    'g.id',
    'g.campaign_id',
    'g.source',
    'g.frequency',
    'g.status as gift_status',
    'g.currency',
    'g.amount',
    'g.fee_amount',
    'g.charge_amount',
    'g.name',
    'g.email',
    'g.anonymous',
    'g.show_on_wall',
    'g.comment',
    'g.dedication_kind',
    'g.dedication_name',
    'g.note',
    'g.checkout_session_id',
    'g.payment_intent_id',
    'g.subscription_id',
    'g.customer_id',
    'g.subscription_status',
    'g.received_at',
    'g.voided_at',
    'g.created_at',
    'm.raised',
    'm.refunded',
    'm.disputed',
    'm.payment_count',
    'b.stripe_fee',
    'b.net',
    'b.payout_ids',
    'b.payout_dates',
    displayStatus.as('status'),
    cursorTs.as('cursor_ts'),
  ]);
}

type DonationRow = Awaited<ReturnType<ReturnType<typeof selectDonation>['executeTakeFirstOrThrow']>>;

export function toDonation(r: DonationRow) {
  return {
    id: r.id,
    source: r.source,
    frequency: r.frequency,
    status: r.status,
    giftStatus: r.gift_status,
    currency: r.currency,
    amount: r.amount,
    feeAmount: r.fee_amount,
    chargeAmount: r.charge_amount,
    /** What this gift currently adds to the campaign's `raised`. */
    counted: r.raised ?? 0,
    refunded: r.refunded ?? 0,
    disputed: r.disputed ?? 0,
    payments: r.payment_count ?? 0,
    /** The books: Stripe's fee and the net of the gift's charges, and the payouts (null: not known yet). */
    books: {
      stripeFee: r.stripe_fee ?? null,
      net: r.net ?? null,
      payouts: r.payout_ids ? r.payout_ids.split('; ') : [],
      payoutArrivals: r.payout_dates ? r.payout_dates.split('; ') : [],
    },
    name: r.name,
    email: r.email,
    anonymous: r.anonymous,
    showOnWall: r.show_on_wall,
    comment: r.comment,
    dedication: r.dedication_kind && r.dedication_name ? { kind: r.dedication_kind, name: r.dedication_name } : null,
    note: r.note,
    createdAt: r.created_at.toISOString(),
    receivedAt: r.received_at?.toISOString() ?? null,
    voidedAt: r.voided_at?.toISOString() ?? null,
    stripe: {
      checkoutSessionId: r.checkout_session_id,
      paymentIntentId: r.payment_intent_id,
      subscriptionId: r.subscription_id,
      customerId: r.customer_id,
      subscriptionStatus: r.subscription_status,
    },
  };
}

export type Donation = ReturnType<typeof toDonation>;

/** Newest first, keyset-paged. Checkouts never completed (status created) are not donations. */
export async function listDonations(
  db: Kysely<Database>,
  campaignId: number,
  filter: DonationFilter,
  page: { cursor?: string; limit: number },
): Promise<{ donations: Donation[]; nextCursor: string | null }> {
  let q = selectDonation(db).where('g.campaign_id', '=', campaignId).where('g.status', '<>', 'created');
  if (filter.q) {
    const like = `%${likeEscape(filter.q)}%`;
    q = q.where((eb) => eb.or([eb('g.name', 'ilike', like), eb('g.email', 'ilike', like)]));
  }
  if (filter.status) q = q.where(displayStatus, '=', filter.status);
  if (filter.frequency) q = q.where('g.frequency', '=', filter.frequency);
  if (filter.source) q = q.where('g.source', '=', filter.source);
  const c = decodeCursor(page.cursor);
  if (c && isCursorTimestamp(c[0]) && typeof c[1] === 'string' && UUID.test(c[1])) {
    q = q.where(sql<boolean>`(g.created_at, g.id) < (${c[0]}::timestamptz, ${c[1]}::uuid)`);
  }
  const rows = await q
    .orderBy('g.created_at', 'desc')
    .orderBy('g.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    donations: pageRows.map(toDonation),
    nextCursor: more && last ? encodeCursor([last.cursor_ts, last.id]) : null,
  };
}

/** One gift with every money movement behind it, as Stripe named them. */
export async function getDonation(db: Kysely<Database>, giftId: string) {
  const row = await selectDonation(db)
    .innerJoin('campaigns as c', 'c.id', 'g.campaign_id')
    .select(['c.slug as campaign_slug', 'c.title as campaign_title'])
    .where('g.id', '=', giftId)
    .executeTakeFirst();
  if (!row) throw notFound('Donation');
  const payments = await db
    .selectFrom('payments')
    .where('gift_id', '=', giftId)
    .select([
      'id',
      'source_key',
      'kind',
      'payment_intent_id',
      'amount',
      'currency',
      'paid_at',
      'in_window',
      'voided',
      'applied_raised',
      'applied_donation',
      'applied_refunded',
      'applied_disputed',
    ])
    .orderBy('paid_at')
    .orderBy('id')
    .execute();
  const pis = [...new Set(payments.map((p) => p.payment_intent_id).filter((x): x is string => !!x))];
  const [refunds, disputes, books] = pis.length
    ? await Promise.all([
        db.selectFrom('stripe_charge_refunds').where('payment_intent_id', 'in', pis).selectAll().orderBy('charge_id').execute(),
        db.selectFrom('stripe_disputes').where('payment_intent_id', 'in', pis).selectAll().orderBy('dispute_id').execute(),
        db
          .selectFrom('stripe_balance_transactions as bt')
          .leftJoin('stripe_payouts as po', 'po.id', 'bt.payout_id')
          .where('bt.payment_intent_id', 'in', pis)
          .select([
            'bt.id',
            'bt.type',
            'bt.reporting_category',
            'bt.payment_intent_id',
            'bt.source_id',
            'bt.currency',
            'bt.amount',
            'bt.fee',
            'bt.net',
            'bt.created',
            'bt.payout_id',
            'po.arrival_date',
            'po.status as payout_status',
          ])
          .orderBy('bt.created')
          .orderBy('bt.id')
          .execute(),
      ])
    : [[], [], []];
  return {
    ...toDonation(row),
    campaign: { slug: row.campaign_slug, title: row.campaign_title },
    movements: payments.map((p) => ({
      id: p.id,
      kind: p.kind,
      sourceKey: p.source_key,
      paymentIntentId: p.payment_intent_id,
      amount: p.amount,
      currency: p.currency,
      paidAt: p.paid_at.toISOString(),
      inWindow: p.in_window,
      voided: p.voided,
      counted: { raised: p.applied_raised, donation: p.applied_donation, refunded: p.applied_refunded, disputed: p.applied_disputed },
      /** Stripe's balance transactions of this payment: the charge (fee, net) and any refund or
       * dispute movements, each with the payout it went out in. */
      balance: books
        .filter((b) => b.payment_intent_id === p.payment_intent_id)
        .map((b) => ({
          id: b.id,
          type: b.type,
          category: b.reporting_category,
          source: b.source_id,
          currency: b.currency,
          amount: b.amount,
          fee: b.fee,
          net: b.net,
          created: new Date(b.created * 1000).toISOString(),
          payout: b.payout_id
            ? {
                id: b.payout_id,
                status: b.payout_status,
                arrivalDate: b.arrival_date != null ? new Date(b.arrival_date * 1000).toISOString() : null,
              }
            : null,
        })),
      refunds: refunds
        .filter((r) => r.payment_intent_id === p.payment_intent_id)
        .map((r) => ({ chargeId: r.charge_id, amountRefunded: r.amount_refunded, asOf: new Date(r.as_of * 1000).toISOString() })),
      disputes: disputes
        .filter((d) => d.payment_intent_id === p.payment_intent_id)
        .map((d) => ({
          disputeId: d.dispute_id,
          chargeId: d.charge_id,
          amount: d.amount,
          status: d.status,
          asOf: new Date(d.as_of * 1000).toISOString(),
        })),
    })),
  };
}

export type DonationDetail = Awaited<ReturnType<typeof getDonation>>;
