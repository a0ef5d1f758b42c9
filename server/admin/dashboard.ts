import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CampaignWithTotals } from '../campaigns/repository.js';
import { toProgress } from '../campaigns/service.js';

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
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

/** Subscription states in which a monthly gift will be charged again. */
const LIVE_SUBSCRIPTION = ['active', 'trialing', 'past_due'];

export interface DailyPoint {
  date: string; // YYYY-MM-DD (UTC)
  /** What the day's payments add to `raised` now (after refunds and disputes): the series sums to `raised`. */
  amount: number;
  /** Money in before refunds and disputes. */
  gross: number;
  donations: number;
}

/**
 * The per-campaign dashboard. The headline figures come from the same maintained totals as the
 * public progress endpoint (so the two always agree); the rest is read from gifts and payments.
 */
export async function campaignDashboard(db: Kysely<Database>, c: CampaignWithTotals, now: Date) {
  const [monthly, days] = await Promise.all([
    db
      .selectFrom('gifts')
      .where('campaign_id', '=', c.id)
      .where('source', '=', 'stripe')
      .where('frequency', '=', 'monthly')
      .where('status', '=', 'paid')
      .where((eb) => eb.or([eb('subscription_status', 'is', null), eb('subscription_status', 'in', LIVE_SUBSCRIPTION)]))
      .select([
        // Distinct donors as the ledger counts them: by e-mail, case-insensitive.
        sql<number>`count(distinct coalesce(lower(email), id::text))::int8`.as('donors'),
        sql<number>`coalesce(sum(charge_amount), 0)::int8`.as('amount'),
      ])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('payments')
      .where('campaign_id', '=', c.id)
      // Voided entries and renewals paid outside the window are money of no day of this campaign.
      .where('voided', '=', false)
      .where('in_window', '=', true)
      .select([
        sql<string>`to_char(paid_at at time zone 'UTC', 'YYYY-MM-DD')`.as('day'),
        sql<number>`sum(applied_raised)::int8`.as('amount'),
        sql<number>`coalesce(sum(amount) filter (where in_window and not voided), 0)::int8`.as('gross'),
        sql<number>`sum(applied_donation)::int8`.as('donations'),
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
    daily: dailySeries(days, c, now),
  };
}

export type CampaignDashboard = Awaited<ReturnType<typeof campaignDashboard>>;

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** Every day from the campaign's start (or its first payment) to today or its end, gaps as zeros. */
export function dailySeries(rows: { day: string; amount: number; gross: number; donations: number }[], c: { starts_at: Date; ends_at: Date }, now: Date): DailyPoint[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const first = rows[0]?.day;
  const lastRow = rows[rows.length - 1]?.day;
  let start = dayOf(c.starts_at);
  if (first && first < start) start = first;
  let end = dayOf(now < c.ends_at ? now : c.ends_at);
  if (lastRow && lastRow > end) end = lastRow;
  if (end < start) return [];
  let t = Date.parse(`${start}T00:00:00Z`);
  const endT = Date.parse(`${end}T00:00:00Z`);
  if ((endT - t) / DAY_MS >= MAX_DAYS) t = endT - (MAX_DAYS - 1) * DAY_MS;
  const out: DailyPoint[] = [];
  for (; t <= endT; t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    const r = byDay.get(date);
    out.push({ date, amount: r?.amount ?? 0, gross: r?.gross ?? 0, donations: r?.donations ?? 0 });
  }
  return out;
}
