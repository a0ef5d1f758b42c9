import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { VariantFigures } from './ranking.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Where a beacon or a checkout came from, as a funnel key: an allowed embedding origin
 * (scheme://host[:port]), or '' for our own pages and anything without an allowed origin. */
export function funnelOrigin(origin: string | undefined, allowedOrigins: readonly string[]): string {
  return origin && allowedOrigins.includes(origin) ? origin : '';
}

/** The calendar day of `now` in `timeZone`, as PostgreSQL computes it (same on PGlite). */
const dayOf = (now: Date, timeZone: string) => sql<string>`(${now.toISOString()}::timestamptz at time zone ${timeZone})::date`;

/**
 * Adds a batch of beacons to the day's counters: one statement, whatever the batch holds (the
 * rows are summed per variant first, so the upsert never touches one key twice).
 */
export async function recordBeacons(
  db: Db,
  at: { campaignId: number; origin: string; now: Date; timeZone: string },
  events: { variantId: number; type: 'impression' | 'open'; count: number }[],
): Promise<void> {
  const byVariant = new Map<number, { impressions: number; opens: number }>();
  for (const e of events) {
    const row = byVariant.get(e.variantId) ?? { impressions: 0, opens: 0 };
    if (e.type === 'impression') row.impressions += e.count;
    else row.opens += e.count;
    byVariant.set(e.variantId, row);
  }
  if (byVariant.size === 0) return;
  const day = dayOf(at.now, at.timeZone);
  await db
    .insertInto('funnel_daily')
    .values(
      [...byVariant].map(([variantId, n]) => ({
        campaign_id: at.campaignId,
        day,
        variant_id: variantId,
        origin: at.origin,
        impressions: n.impressions,
        opens: n.opens,
        checkouts: 0,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'day', 'variant_id', 'origin']).doUpdateSet({
        impressions: sql`funnel_daily.impressions + excluded.impressions`,
        opens: sql`funnel_daily.opens + excluded.opens`,
      }),
    )
    .execute();
}

/** A Checkout Session was made for a gift from this variant and origin. */
export async function countCheckout(
  db: Db,
  at: { campaignId: number; variantId: number | null; origin: string; now: Date; timeZone: string },
): Promise<void> {
  await db
    .insertInto('funnel_daily')
    .values({
      campaign_id: at.campaignId,
      day: dayOf(at.now, at.timeZone),
      variant_id: at.variantId ?? 0,
      origin: at.origin,
      checkouts: 1,
    })
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'day', 'variant_id', 'origin']).doUpdateSet({ checkouts: sql`funnel_daily.checkouts + 1` }),
    )
    .execute();
}

export interface FunnelRow {
  day: string;
  variantId: number;
  origin: string;
  impressions: number;
  opens: number;
  checkouts: number;
  paid: number;
  revenue: number;
  revenueSquares: number;
}

/**
 * The funnel per day, variant and origin. Impressions, opens and checkouts are the counters;
 * "paid" is each funnel gift's first payment as the ledger recorded it (one-time payment, or the
 * first of a monthly gift; renewals never count), on the day it was paid, so it is exactly once
 * by construction however often Stripe redelivers an event, and a voided payment drops out.
 */
export async function funnelRows(db: Db, campaignId: number, timeZone: string): Promise<FunnelRow[]> {
  const r = await sql<FunnelRow>`
    with paid as (
      select to_char(p.paid_at at time zone ${timeZone}, 'YYYY-MM-DD') as day,
             coalesce(g.variant_id, 0) as variant_id, g.funnel_origin as origin,
             count(*)::int8 as paid, sum(p.amount)::int8 as revenue,
             sum(p.amount::float8 * p.amount::float8) as revenue_squares
      from gifts g
      join lateral (
        select amount, paid_at from payments
        where gift_id = g.id and kind in ('one_time', 'first') and not voided
        order by paid_at, id limit 1
      ) p on true
      where g.campaign_id = ${campaignId} and g.funnel_origin is not null
      group by 1, 2, 3
    ), counted as (
      select to_char(day, 'YYYY-MM-DD') as day, variant_id, origin, impressions, opens, checkouts
      from funnel_daily where campaign_id = ${campaignId}
    )
    select coalesce(c.day, p.day) as "day", coalesce(c.variant_id, p.variant_id) as "variantId",
           coalesce(c.origin, p.origin) as "origin",
           coalesce(c.impressions, 0)::int8 as "impressions", coalesce(c.opens, 0)::int8 as "opens",
           coalesce(c.checkouts, 0)::int8 as "checkouts", coalesce(p.paid, 0)::int8 as "paid",
           coalesce(p.revenue, 0)::int8 as "revenue", coalesce(p.revenue_squares, 0)::float8 as "revenueSquares"
    from counted c
    full join paid p on p.day = c.day and p.variant_id = c.variant_id and p.origin = c.origin
    order by 1, 2, 3`.execute(db);
  return r.rows.map((row) => ({ ...row, variantId: Number(row.variantId), revenueSquares: Number(row.revenueSquares) }));
}

export const emptyFigures = (): VariantFigures => ({ impressions: 0, opens: 0, checkouts: 0, paid: 0, revenue: 0, revenueSquares: 0 });

export function addFigures(into: VariantFigures, r: VariantFigures) {
  into.impressions += r.impressions;
  into.opens += r.opens;
  into.checkouts += r.checkouts;
  into.paid += r.paid;
  into.revenue += r.revenue;
  into.revenueSquares += r.revenueSquares;
}
