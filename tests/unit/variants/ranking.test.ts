import { describe, expect, it } from 'vitest';
import { MIN_IMPRESSIONS, Z95, perImpression, rank } from '../../../server/variants/ranking.js';

const figures = (impressions: number, paidAmounts: number[], opens = 0) => ({
  impressions,
  opens,
  checkouts: paidAmounts.length,
  paid: paidAmounts.length,
  revenue: paidAmounts.reduce((a, b) => a + b, 0),
  revenueSquares: paidAmounts.reduce((a, b) => a + b * b, 0),
});

/** The textbook computation on the expanded sample (one value per impression), to check the sums. */
function expanded(n: number, paid: number[]) {
  const xs = [...paid, ...Array.from({ length: n - paid.length }, () => 0)];
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, varOfMean: variance / n };
}

describe('variant ranking', () => {
  it('the mean and its variance from sums and sums of squares equal the textbook ones on the expanded sample', () => {
    for (const [n, paid] of [
      [10, [500]],
      [250, [1000, 2500, 2500, 10000]],
      [3, [100, 200, 300]],
    ] as const) {
      const got = perImpression(figures(n, [...paid]))!;
      const want = expanded(n, [...paid]);
      expect(got.mean).toBeCloseTo(want.mean, 9);
      expect(got.varOfMean).toBeCloseTo(want.varOfMean, 9);
    }
  });

  it('hand-computed: RPM, conversion, and the 95% interval on the difference from the control', () => {
    // Control: 400 impressions, gifts 10.00 and 30.00 → mean 10 cents, RPM 10,000 cents.
    // Σx = 4000, Σx² = 1e6 + 9e6 = 10,000,000; variance (1e7 - 4000²/400)/399 = 9,960,000/399
    // = 24,962.41; of the mean /400 = 62.4060.
    // Variant: 400 impressions, one gift of 20.00 → mean 5; Σx = 2000, Σx² = 4,000,000;
    // variance (4e6 - 2000²/400)/399 = 3,990,000/399 = 10,000; of the mean /400 = 25.
    // Difference (5 - 10) · 1000 = -5000; se = √(62.4060 + 25) = 9.34912 per impression
    // → half-width 1.959964 · 9349.12 = 18,323.9 per 1,000.
    const control = figures(400, [1000, 3000], 40);
    const variant = figures(400, [2000], 60);
    const r = rank(variant, control, false);
    expect(r.rpm).toBe(5000);
    expect(r.conversion).toBe(1 / 400);
    expect(r.openRate).toBe(0.15);
    expect(r.diff!.estimate).toBeCloseTo(-5000, 9);
    expect(r.diff!.high - r.diff!.estimate).toBeCloseTo(18323.9, 0);
    expect(r.diff!.low).toBeCloseTo(-23323.9, 0);
    expect(Z95).toBeCloseTo(1.96, 2);
    // Three paid gifts in all: not enough to pick a winner.
    expect(r.enoughData).toBe(false);
    expect(rank(control, control, true)).toMatchObject({ diff: null, rpm: 10000 });
  });

  it('flags too few impressions, and stays finite with none or with more gifts than counted impressions', () => {
    const many = Array.from({ length: 20 }, () => 1000);
    expect(rank(figures(MIN_IMPRESSIONS, many), figures(MIN_IMPRESSIONS, many), false).enoughData).toBe(true);
    expect(rank(figures(MIN_IMPRESSIONS - 1, many), figures(MIN_IMPRESSIONS, many), false).enoughData).toBe(false);
    expect(rank(figures(0, []), figures(100, [500]), false)).toMatchObject({ rpm: null, conversion: null, openRate: null, diff: null });
    const blocked = rank(figures(2, [1000, 1000, 1000]), null, false);
    expect(blocked.enoughData).toBe(false);
    expect(Number.isFinite(blocked.rpm)).toBe(true);
  });
});
