import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CampaignWithTotals } from '../campaigns/repository.js';
import { toProgress } from '../campaigns/service.js';
import { nextDay, zonedDay } from '../../common/time.js';

const DAY_MS = 86_400_000;
/** The chart shows at most two years of days; longer campaigns show their latest two years. */
const MAX_DAYS = 731;

/** Whole days until the campaign ends (0 once ended), counted up so "ends tonight" is 1. */
export function daysLeft(c: { ends_at: Date }, now: Date): number {
  return Math.max(0, Math.ceil((c.ends_at.getTime() - now.getTime()) / DAY_MS));
}

/** A campaigns-list row: the public progress plus what only admins see. */
export function toAdminCampaign(c: CampaignWithTotals, now: Date) {
  return {
    ...toProgress(c, now),
    id: c.id,
    daysLeft: daysLeft(c, now),
    refunded: c.refunded,
    disputed: c.disputed,
    archivedAt: c.archived_at?.toISOString() ?? null,
    allowedOrigins: c.allowed_origins,
    followOnSlug: c.follow_on_slug,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

/** Subscription states in which a monthly gift will be charged again. */
const LIVE_SUBSCRIPTION = ['active', 'trialing', 'past_due'];

export interface DailyPoint {
  date: string; // YYYY-MM-DD, a calendar day in the organisation's time zone
  /** What the day's payments add to `raised` now (after refunds and disputes): the series sums to `raised`. */
  amount: number;
  /** Money in before refunds and disputes. */
  gross: number;
  donations: number;
}

/**
 * The per-campaign dashboard. The headline figures come from the same maintained totals as the
 * public progress endpoint (so the two always agree); the rest is read from gifts, payments and
 * the payments' 15-minute rollup (campaign_slots).
 * The daily chart counts the organisation's calendar days (`timeZone`, an IANA zone, SPEC §5):
 * a gift at 23:30 on December 31 in New York is a December gift, though it is January in UTC.
 */
export async function campaignDashboard(db: Kysely<Database>, c: CampaignWithTotals, now: Date, timeZone = 'UTC') {
  const [monthly, days] = await Promise.all([
    db
      .selectFrom('gifts')
      .where('campaign_id', '=', c.id)
      .where('source', '=', 'stripe')
      .where('frequency', '=', 'monthly')
      .where('status', '=', 'paid')
      .where((eb) => eb.or([eb('subscription_status', 'is', null), eb('subscription_status', 'in', LIVE_SUBSCRIPTION)]))
      .select([
        // Distinct donors as the ledger keys them (payments.donor_key, one definition: donorKey)
        // among the counted payments of live monthly gifts.
        sql<number>`(select count(distinct p.donor_key) from payments p where p.gift_id in (select g.id from gifts g where g.campaign_id = ${c.id} and g.source = 'stripe' and g.frequency = 'monthly' and g.status = 'paid' and (g.subscription_status is null or g.subscription_status in (${sql.join(LIVE_SUBSCRIPTION)}))) and p.applied_donation = 1)::int8`.as(
          'donors',
        ),
        // What each live subscription charges now (the donor may have changed it), else what it started at.
        sql<number>`coalesce(sum(coalesce(subscription_amount, charge_amount)), 0)::int8`.as('amount'),
      ])
      .executeTakeFirstOrThrow(),
    // The campaign's 15-minute slots of UTC (campaign_slots: kept by the database from payments
    // in the same transaction, with the filter and sums this chart always used: voided entries and
    // renewals paid outside the window are money of no day of this campaign), each named by its
    // day in the zone. A slot never straddles two days: every zone's offset is a whole number of
    // quarter hours. Its cost follows the number of slots (at most 96 a day), not of payments.
    db
      .selectFrom('campaign_slots')
      .where('campaign_id', '=', c.id)
      .select([
        // timestamptz AT TIME ZONE zone = the wall-clock time there (DST included, same on PGlite).
        sql<string>`to_char(slot at time zone ${timeZone}, 'YYYY-MM-DD')`.as('day'),
        sql<number>`sum(raised)::int8`.as('amount'),
        sql<number>`sum(gross)::int8`.as('gross'),
        sql<number>`sum(donations)::int8`.as('donations'),
      ])
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute(),
  ]);
  const progress = toAdminCampaign(c, now);
  return {
    ...progress,
    averageGift: c.donations > 0 ? Math.floor(c.raised / c.donations) : 0,
    monthlyDonors: monthly.donors,
    monthlyAmount: monthly.amount,
    daily: dailySeries(days, c, now, timeZone),
  };
}

export type CampaignDashboard = Awaited<ReturnType<typeof campaignDashboard>>;

/**
 * Every day from the campaign's start (or its first payment) to today or its last day, gaps as
 * zeros, as calendar days in `timeZone`. The window is half-open: a campaign ending at midnight
 * ends on the day before.
 */
export function dailySeries(
  rows: { day: string; amount: number; gross: number; donations: number }[],
  c: { starts_at: Date; ends_at: Date },
  now: Date,
  timeZone = 'UTC',
): DailyPoint[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const first = rows[0]?.day;
  const lastRow = rows[rows.length - 1]?.day;
  let start = zonedDay(c.starts_at, timeZone);
  if (first && first < start) start = first;
  let end = zonedDay(now < c.ends_at ? now : new Date(c.ends_at.getTime() - 1), timeZone);
  if (lastRow && lastRow > end) end = lastRow;
  if (end < start) return [];
  const span = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS;
  if (span >= MAX_DAYS) start = new Date(Date.parse(`${end}T00:00:00Z`) - (MAX_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  const out: DailyPoint[] = [];
  for (let date = start; date <= end; date = nextDay(date)) {
    const r = byDay.get(date);
    out.push({ date, amount: r?.amount ?? 0, gross: r?.gross ?? 0, donations: r?.donations ?? 0 });
  }
  return out;
}
