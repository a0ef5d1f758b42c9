import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHAPE,
  type PaceCampaign,
  type PaceReference,
  atShare,
  cumulativeCurve,
  projectPace,
  shapeOf,
  shareAt,
  spread,
} from '../../../server/campaigns/pace.js';

// A December campaign: 31 days, half-open [Dec 1, Jan 1), organisation in UTC unless stated.
const DECEMBER: PaceCampaign = {
  starts_at: new Date('2026-12-01T00:00:00Z'),
  ends_at: new Date('2027-01-01T00:00:00Z'),
  raised: 30_000,
  goal: 100_000,
  stretch_goals: [],
  match_ratio_ppm: null,
  match_cap: null,
};
const HALF_TIME = new Date('2026-12-16T12:00:00Z'); // 15.5 of 31 days: exactly 500,000 ppm

/** Last year's campaign: 10,000 on Dec 1, 10,000 on Dec 16, 80,000 on Dec 31. */
function lastYear(): PaceReference {
  const c = { starts_at: new Date('2025-12-01T00:00:00Z'), ends_at: new Date('2026-01-01T00:00:00Z') };
  const days = [
    { day: '2025-12-01', amount: 10_000 },
    { day: '2025-12-16', amount: 10_000 },
    { day: '2025-12-31', amount: 80_000 },
  ];
  return { slug: 'eoy-2025', title: 'Year end 2025', endsAt: c.ends_at.toISOString(), curve: cumulativeCurve(days, c, c.ends_at, 'UTC') };
}

describe('the shape', () => {
  it('interpolates the default curve between its stated knots, in ppm', () => {
    expect(shareAt(DEFAULT_SHAPE, 0)).toBe(0);
    expect(shareAt(DEFAULT_SHAPE, 500_000)).toBe(250_000);
    expect(shareAt(DEFAULT_SHAPE, 125_000)).toBe(50_000);
    expect(shareAt(DEFAULT_SHAPE, 950_000)).toBe(825_000);
    expect(shareAt(DEFAULT_SHAPE, 1_000_000)).toBe(1_000_000);
    expect(atShare(DEFAULT_SHAPE, 100_000)).toBe(250_000);
    expect(atShare(DEFAULT_SHAPE, 825_000)).toBe(950_000);
  });

  it("is read from a finished campaign's days: share of its total at the end of each day", () => {
    // Dec 1 ends at 1/31 of the time (32,258 ppm) with 10 % in; Dec 16 at 16/31 with 20 %; the
    // days between (no money) keep the shape flat, so the last day's 80 % is not smeared back.
    const knots = shapeOf(lastYear().curve)!;
    expect(knots).toHaveLength(33); // (0, 0), 31 day ends, (end, 100 %)
    expect(knots[0]).toEqual({ at: 0, share: 0 });
    expect(knots[1]).toEqual({ at: 32_258, share: 100_000 });
    expect(knots[15]).toEqual({ at: 483_870, share: 100_000 });
    expect(knots[16]).toEqual({ at: 516_129, share: 200_000 });
    expect(knots[30]).toEqual({ at: 967_741, share: 200_000 });
    expect(knots[31]).toEqual({ at: 1_000_000, share: 1_000_000 });
    expect(shapeOf([])).toBeNull();
  });

  it('spreads an amount over weights exactly, in integers', () => {
    expect(spread(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(spread(10, [0, 0])).toEqual([5, 5]);
    expect(spread(0, [3, 1])).toEqual([0, 0]);
    expect(spread(7, [1, 3]).reduce((a, b) => a + b)).toBe(7);
  });
});

describe('projectPace', () => {
  it('without a previous campaign: the default curve, raised / shape(elapsed)', () => {
    const p = projectPace(DECEMBER, null, HALF_TIME, 'UTC');
    expect(p).toMatchObject({
      status: 'projected',
      method: { kind: 'default' },
      elapsed: 500_000,
      expectedShare: 250_000,
      projectedRaised: 120_000, // 30,000 / 0.25
      projectedTotal: 120_000,
      projectedGoal: 100_000,
      goal: 100_000,
      stillNeeded: 70_000,
      daysLeft: 16, // Dec 16 .. Dec 31, today included
      perDay: 4375, // 70,000 / 16
    });
    expect(p.method.sentence).toMatch(/^default year-end curve \(our assumption/);
    // The shape expects the last day (at 30/31 → 887,093 ppm) to bring 112,907 of the 750,000 ppm left.
    expect(p.shapedNeed).toHaveLength(16);
    expect(p.shapedNeed.reduce((s, d) => s + d.amount, 0)).toBe(70_000);
    const last = p.shapedNeed[15]!;
    expect(last.date).toBe('2026-12-31');
    expect(Math.abs(last.amount - (70_000 * 112_907) / 750_000)).toBeLessThan(1);
    expect(last.amount).toBeGreaterThan(p.shapedNeed[0]!.amount);
  });

  it("with a previous campaign: that campaign's shape, and the method names it", () => {
    const p = projectPace(DECEMBER, lastYear(), HALF_TIME, 'UTC');
    // Half-time is mid-Dec 16, the day last year went from 10 % to 20 %: 100,000 +
    // floor(100,000 × (500,000 − 483,870) / (516,129 − 483,870)) = 150,001 ppm expected in.
    expect(p).toMatchObject({
      status: 'projected',
      method: { kind: 'previous', slug: 'eoy-2025', sentence: 'shaped like Year end 2025 (ended 2025-12-31)' },
      expectedShare: 150_001,
      projectedRaised: 199_998, // floor(30,000 × 10^6 / 150,001)
      stillNeeded: 70_000,
    });
    // Last year brought 80 % on its last day: so does the plan for this one's 70,000 still needed.
    expect(p.shapedNeed[15]!.amount).toBeGreaterThan(0.65 * 70_000);
  });

  it('says "too early" while the shape expects under 10 %, and from when it will project', () => {
    const p = projectPace(DECEMBER, null, new Date('2026-12-05T00:00:00Z'), 'UTC');
    expect(p).toMatchObject({ status: 'too_early', projectedRaised: null, projectedTotal: null, projectedGoal: null });
    expect(p.expectedShare).toBe(51_612); // 4/31 of the time, under the first knot (25 % → 10 %)
    // 10 % is due at a quarter of the time: 7.75 days in.
    expect(p.projectFrom).toBe('2026-12-08T18:00:00.000Z');
    expect(p.stillNeeded).toBe(70_000);
    expect(p.daysLeft).toBe(27);
  });

  it('before the start: no projection, the whole campaign left', () => {
    const p = projectPace({ ...DECEMBER, raised: 0 }, null, new Date('2026-11-20T00:00:00Z'), 'UTC');
    expect(p).toMatchObject({ status: 'scheduled', projectedRaised: null, stillNeeded: 100_000, daysLeft: 31, perDay: 3226 });
  });

  it('after the end: the result is final, nothing per day', () => {
    const p = projectPace(DECEMBER, null, new Date('2027-01-02T00:00:00Z'), 'UTC');
    expect(p).toMatchObject({
      status: 'ended',
      projectedRaised: 30_000,
      projectedTotal: 30_000,
      projectedGoal: null,
      stillNeeded: 70_000,
      daysLeft: 0,
      perDay: null,
      shapedNeed: [],
    });
  });

  it('goal reached: nothing still needed', () => {
    const p = projectPace({ ...DECEMBER, raised: 120_000 }, null, HALF_TIME, 'UTC');
    expect(p).toMatchObject({ goal: 100_000, stillNeeded: 0, perDay: 0, projectedRaised: 480_000, projectedGoal: 100_000 });
    expect(p.shapedNeed.every((d) => d.amount === 0)).toBe(true);
  });

  it('stretch goal: aims at the first goal not yet reached and names the highest projected', () => {
    const c = { ...DECEMBER, raised: 120_000, stretch_goals: [200_000, 1_000_000] };
    const p = projectPace(c, null, HALF_TIME, 'UTC');
    expect(p).toMatchObject({ goal: 200_000, stillNeeded: 80_000, perDay: 5000, projectedTotal: 480_000, projectedGoal: 200_000 });
  });

  it('matching is added to the projection by the campaign rule (capped)', () => {
    const c = { ...DECEMBER, match_ratio_ppm: 1_000_000, match_cap: 50_000 };
    const p = projectPace(c, null, HALF_TIME, 'UTC');
    expect(p).toMatchObject({ total: 60_000, stillNeeded: 40_000, projectedRaised: 120_000, projectedTotal: 170_000 });
  });

  it("counts days in the organisation's time zone", () => {
    // Ends at midnight in New York; at 21:00 there on Dec 31 it is already Jan 1 in UTC.
    const c = { ...DECEMBER, starts_at: new Date('2026-12-01T05:00:00Z'), ends_at: new Date('2027-01-01T05:00:00Z') };
    const now = new Date('2027-01-01T02:00:00Z');
    const p = projectPace(c, null, now, 'America/New_York');
    expect(p.daysLeft).toBe(1);
    expect(p.shapedNeed).toEqual([{ date: '2026-12-31', amount: 70_000 }]);
    expect(p.perDay).toBe(70_000);
  });
});
