/**
 * Ranking copy variants (SPEC §13 "Variants"): by revenue per 1,000 impressions, with a 95%
 * interval on the difference from the control.
 *
 * Method (shown in the admin): each impression is one observation whose value is the first
 * payment of the gift it led to, or 0. From the impressions n, the revenue sum S and the sum of
 * squares Q of the paid amounts, the mean per impression is S/n and its sample variance is
 * (Q - S²/n)/(n - 1). The difference of two means has standard error sqrt(v₁/n₁ + v₂/n₂) and
 * the interval is the difference ± 1.96 standard errors (normal approximation, Welch's standard
 * error). Below MIN_IMPRESSIONS impressions on either side, or MIN_PAID paid gifts on both sides
 * together, the interval is shown but flagged: not enough data to pick a winner.
 */

export const Z95 = 1.959963984540054;
export const MIN_IMPRESSIONS = 200;
export const MIN_PAID = 10;

export interface VariantFigures {
  impressions: number;
  opens: number;
  checkouts: number;
  paid: number;
  /** Sum of the first payments, minor units. */
  revenue: number;
  /** Sum of the squares of the first payments (minor units²). */
  revenueSquares: number;
}

export interface Ranked {
  openRate: number | null;
  /** paid / impressions */
  conversion: number | null;
  /** Revenue per 1,000 impressions, minor units (not rounded). */
  rpm: number | null;
  /** Versus the control, per 1,000 impressions; null for the control itself or without one. */
  diff: { estimate: number; low: number; high: number } | null;
  enoughData: boolean;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** Mean and variance of the mean of per-impression revenue; null without impressions. */
export function perImpression(f: VariantFigures): { mean: number; varOfMean: number } | null {
  const n = f.impressions;
  if (n <= 0) return null;
  const mean = f.revenue / n;
  // More paid gifts than counted impressions (beacons blocked): the spread is unknowable; 0 here,
  // and the row is flagged as not enough data.
  const variance = n > 1 ? Math.max(0, (f.revenueSquares - (f.revenue * f.revenue) / n) / (n - 1)) : 0;
  return { mean, varOfMean: variance / n };
}

export function rank(f: VariantFigures, control: VariantFigures | null, isControl: boolean): Ranked {
  const own = perImpression(f);
  const base = control && !isControl ? perImpression(control) : null;
  const diff =
    own && base
      ? (() => {
          const estimate = (own.mean - base.mean) * 1000;
          const half = Z95 * Math.sqrt(own.varOfMean + base.varOfMean) * 1000;
          return { estimate, low: estimate - half, high: estimate + half };
        })()
      : null;
  const sides = control && !isControl ? [f, control] : [f];
  const enoughData =
    sides.every((s) => s.impressions >= MIN_IMPRESSIONS && s.paid <= s.impressions) && sides.reduce((a, s) => a + s.paid, 0) >= MIN_PAID;
  return {
    openRate: ratio(f.opens, f.impressions),
    conversion: ratio(f.paid, f.impressions),
    rpm: own ? own.mean * 1000 : null,
    diff,
    enoughData,
  };
}
