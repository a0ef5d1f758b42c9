import { type Kysely, sql } from 'kysely';
import type { PaceReport } from '../../common/api.js';
import type { Database } from '../../db/schema.js';
import { type PaceReference, cumulativeCurve, type DayAmount, projectPace } from './pace.js';
import type { CampaignWithTotals } from './repository.js';

/**
 * What each of the organisation's calendar days added to a campaign's `raised`, read from the
 * payments' rollup in 15-minute slots of UTC (campaign_slots, which the database keeps from the
 * ledger's payments in the same transaction: read only here). Each slot is named by its day in
 * the zone (every zone's offset today is a whole number of quarter hours, so a slot never
 * straddles two of its days): the cost follows the number of slots, not of payments, and no
 * payment ever reaches JavaScript. The same filter as the dashboard's daily chart
 * (server/admin/dashboard.ts): voided entries and renewals paid outside the window are money of
 * no day of this campaign; the series sums to `raised`.
 */
export async function raisedPerDay(db: Kysely<Database>, campaignId: number, timeZone: string): Promise<DayAmount[]> {
  const rows = await db
    .selectFrom('campaign_slots')
    .where('campaign_id', '=', campaignId)
    .select([
      // timestamptz AT TIME ZONE zone = the wall-clock time there (DST included, same on PGlite).
      sql<string>`to_char(slot at time zone ${timeZone}, 'YYYY-MM-DD')`.as('day'),
      sql<number>`sum(raised)::int8`.as('amount'),
    ])
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  return rows.map((r) => ({ day: r.day, amount: Number(r.amount) }));
}

/** The organisation's latest campaign that ended before `c` started and raised something. */
export function previousCampaign(db: Kysely<Database>, c: { id: number; starts_at: Date }) {
  return db
    .selectFrom('campaigns as p')
    .innerJoin('campaign_totals as t', 't.campaign_id', 'p.id')
    .where('p.id', '!=', c.id)
    .where('p.ends_at', '<=', c.starts_at)
    .where('t.raised', '>', 0)
    .select(['p.id', 'p.slug', 'p.title', 'p.starts_at', 'p.ends_at'])
    .orderBy('p.ends_at', 'desc')
    .orderBy('p.id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** GET /api/admin/campaigns/:slug/pace: the projection with both curves for the chart. */
export async function campaignPace(db: Kysely<Database>, c: CampaignWithTotals, now: Date, timeZone: string): Promise<PaceReport> {
  const [days, prev] = await Promise.all([raisedPerDay(db, c.id, timeZone), previousCampaign(db, c)]);
  const current = cumulativeCurve(days, c, now, timeZone);
  let reference: PaceReference | null = null;
  if (prev) {
    const curve = cumulativeCurve(await raisedPerDay(db, prev.id, timeZone), prev, prev.ends_at, timeZone);
    reference = { slug: prev.slug, title: prev.title, endsAt: prev.ends_at.toISOString(), curve };
  }
  const pace = projectPace(c, reference, now, timeZone);
  const final = reference?.curve[reference.curve.length - 1]?.cumulative ?? 0;
  return {
    ...pace,
    currency: c.currency,
    curves: {
      current,
      reference:
        reference && pace.method.kind === 'previous'
          ? reference.curve.map((p) => ({ ...p, share: Number((BigInt(Math.max(0, p.cumulative)) * 1_000_000n) / BigInt(final)) }))
          : null,
    },
  };
}
