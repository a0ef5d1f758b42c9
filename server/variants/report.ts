import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CampaignWithTotals } from '../campaigns/repository.js';
import { type FunnelRow, addFigures, emptyFigures, funnelRows } from './funnel.js';
import { MIN_IMPRESSIONS, MIN_PAID, type VariantFigures, rank } from './ranking.js';
import { listVariants, variantSettings } from './service.js';

export const RANKING_METHOD =
  'Revenue per 1,000 impressions counts the first payment of each gift (renewals excluded). The interval ' +
  'on the difference from the control is a 95% normal approximation: each impression is an observation ' +
  'worth its gift or 0; the standard error of each mean is its sample standard deviation over √n ' +
  `(from the sums and sums of squares), combined as √(se₁² + se₂²), times 1.96. Flagged "not enough data" ` +
  `below ${MIN_IMPRESSIONS} impressions on either side or ${MIN_PAID} paid gifts on both together.`;

/** The admin's variants section: each variant's figures and rank, and the funnel per day. */
export async function variantReport(
  db: Kysely<Database>,
  campaign: CampaignWithTotals,
  timeZone: string,
  filter: { variant?: string; origin?: string } = {},
) {
  const [variants, rows] = await Promise.all([listVariants(db, campaign.id), funnelRows(db, campaign.id, timeZone)]);
  const figures = new Map<number, VariantFigures>();
  for (const r of rows) {
    const f = figures.get(r.variantId) ?? emptyFigures();
    addFigures(f, r);
    figures.set(r.variantId, f);
  }
  const control = variants.find((v) => v.control);
  const controlFigures = control ? (figures.get(control.id) ?? emptyFigures()) : null;
  const ranked = variants.map((v) => {
    const f = figures.get(v.id) ?? emptyFigures();
    return {
      id: v.public_id,
      ...variantSettings(v),
      stoppedAt: v.stopped_at?.toISOString() ?? null,
      ...f,
      ...rank(f, controlFigures, v.control),
    };
  });
  ranked.sort((a, b) => (b.rpm ?? -1) - (a.rpm ?? -1));

  const byPublicId = new Map(variants.map((v) => [v.public_id, v.id]));
  const wantVariant = filter.variant === undefined ? undefined : filter.variant === 'none' ? 0 : (byPublicId.get(filter.variant) ?? -1);
  const wantOrigin = filter.origin === undefined ? undefined : filter.origin === 'direct' ? '' : filter.origin;
  const days = new Map<string, Omit<FunnelRow, 'variantId' | 'origin' | 'revenueSquares'>>();
  for (const r of rows) {
    if (wantVariant !== undefined && r.variantId !== wantVariant) continue;
    if (wantOrigin !== undefined && r.origin !== wantOrigin) continue;
    const d = days.get(r.day) ?? { day: r.day, impressions: 0, opens: 0, checkouts: 0, paid: 0, revenue: 0 };
    d.impressions += r.impressions;
    d.opens += r.opens;
    d.checkouts += r.checkouts;
    d.paid += r.paid;
    d.revenue += r.revenue;
    days.set(r.day, d);
  }
  const noVariant = figures.get(0);
  return {
    currency: campaign.currency,
    timeZone,
    method: RANKING_METHOD,
    variants: ranked,
    /** Readers who saw the campaign's own copy (no variant, or before variants were made). */
    noVariant: noVariant ? { ...noVariant, ...rank(noVariant, null, false) } : null,
    funnel: {
      timeZone,
      origins: [...new Set(rows.map((r) => r.origin))].sort().map((o) => o || 'direct'),
      days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    },
  };
}
