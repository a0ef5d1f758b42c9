import type { CurvePoint, Pace, ShapePoint } from '../../common/api.js';
import { fromZonedInput, nextDay, zonedDay } from '../../common/time.js';
import { currentGoal, matchedAmount } from './service.js';

/**
 * Pace (SPEC §13, issue 14): where a campaign will end up at `endsAt`, and what it still needs.
 *
 * Year-end giving is back-loaded, so a straight line from today's total is wrong. We project with
 * a *shape*: the share of its final total a campaign has raised after each share of its duration.
 * The shape is the organisation's previous campaign's (the latest that ended before this one
 * started and raised something), else DEFAULT_SHAPE. Then
 *
 *   projected raised at endsAt = raised so far / shape(share of the duration elapsed)
 *
 * and the matching rule (SPEC §5) on top gives the projected total. Shares are integers in parts
 * per million (ppm) and money is integer minor units throughout (common/money.ts rules): the
 * division is done in BigInt and rounded down.
 *
 * The early rule: while the shape says less than MIN_SHARE_PPM (10 %) of the money should be in,
 * a few gifts would be multiplied by ten or more, so there is no projection ("too early"); the
 * answer says from when there will be one (`projectFrom`).
 *
 * Pure: the SQL that feeds it is in pace-query.ts.
 */

// The response shapes are declared once, in common/api.ts (STYLE 15); pace-query.ts reads them here.
export type { CurvePoint, Pace };

export const PPM = 1_000_000;
/** No projection while the shape expects less than this share of the final total. */
export const MIN_SHARE_PPM = 100_000;
/** Remaining days listed one by one (the dashboard chart's bound too). */
const MAX_DAYS = 731;

/**
 * The default year-end curve. This is OUR ASSUMPTION, not fitted to anyone's data: it follows the
 * widely reported pattern that year-end appeals raise most of their money at the end (the last
 * days of December above all), and says so in numbers a reader can check against their own past:
 * 10 % of the money by a quarter of the time, 25 % at half-time, 45 % at three quarters, 65 % with
 * a tenth of the time left, so the last tenth brings 35 %. Straight lines between those points.
 */
export const DEFAULT_SHAPE: readonly ShapePoint[] = [
  { at: 0, share: 0 },
  { at: 250_000, share: 100_000 },
  { at: 500_000, share: 250_000 },
  { at: 750_000, share: 450_000 },
  { at: 900_000, share: 650_000 },
  { at: PPM, share: PPM },
];

export const DEFAULT_SHAPE_TEXT =
  'default year-end curve (our assumption, not measured): 10% of the money by a quarter of the time, ' +
  '25% at half-time, 45% at three quarters, 65% with a tenth of the time left, 35% in the last tenth';

/** The shape's share at `at` ppm of the duration, by straight lines between knots (rounded down). */
export function shareAt(shape: readonly ShapePoint[], at: number): number {
  if (at <= 0) return 0;
  if (at >= PPM) return PPM;
  for (let i = 1; i < shape.length; i++) {
    const a = shape[i - 1]!;
    const b = shape[i]!;
    if (at <= b.at) {
      if (b.at === a.at) return b.share;
      return a.share + Math.floor(((b.share - a.share) * (at - a.at)) / (b.at - a.at));
    }
  }
  return PPM;
}

/** The first point of the duration (ppm) where the shape reaches `share`: the inverse of shareAt. */
export function atShare(shape: readonly ShapePoint[], share: number): number {
  for (let i = 1; i < shape.length; i++) {
    const a = shape[i - 1]!;
    const b = shape[i]!;
    if (share <= b.share) {
      if (b.share === a.share) return a.at;
      return a.at + Math.ceil(((b.at - a.at) * (share - a.share)) / (b.share - a.share));
    }
  }
  return PPM;
}

/** How far `t` is into [start, end), in ppm, clamped to [0, PPM]. */
export function elapsedPpm(start: Date, end: Date, t: Date): number {
  const span = end.getTime() - start.getTime();
  const done = t.getTime() - start.getTime();
  if (done <= 0) return 0;
  if (done >= span) return PPM;
  return Math.floor((done * PPM) / span);
}

/** Midnight at the start of `day` ("YYYY-MM-DD") in the zone. */
export function dayStart(day: string, timeZone: string): Date {
  return new Date(fromZonedInput(day, timeZone) ?? `${day}T00:00:00Z`);
}

export interface DayAmount {
  /** A calendar day in the organisation's time zone. */
  day: string;
  /** What the day's payments add to `raised` now (after refunds and disputes). */
  amount: number;
}

/**
 * A campaign's cumulative curve: one point per calendar day, at the end of that day, from its
 * first day (or first payment) to today or its last day (or last payment), days without money
 * included so that a shape read from it stays flat where nothing came in. Payments paid after
 * the end (delayed methods that settle late) land at the end.
 */
export function cumulativeCurve(
  days: readonly DayAmount[],
  c: { starts_at: Date; ends_at: Date },
  now: Date,
  timeZone: string,
): CurvePoint[] {
  const byDay = new Map(days.map((d) => [d.day, d.amount]));
  const until = now < c.ends_at ? now : new Date(c.ends_at.getTime() - 1);
  let first = zonedDay(c.starts_at, timeZone);
  let last = zonedDay(until, timeZone);
  if (days[0] && days[0].day < first) first = days[0].day;
  const lastRow = days[days.length - 1];
  if (lastRow && lastRow.day > last) last = lastRow.day;
  const out: CurvePoint[] = [];
  let sum = 0;
  for (let d = first; d <= last; d = nextDay(d)) {
    sum += byDay.get(d) ?? 0;
    const endOfDay = dayStart(nextDay(d), timeZone);
    const t = endOfDay < now ? endOfDay : now;
    out.push({ date: d, at: elapsedPpm(c.starts_at, c.ends_at, t), cumulative: sum });
  }
  return out;
}

/** The shape of a finished campaign's curve: knots at each day's end, from (0, 0) to (PPM, PPM). */
export function shapeOf(curve: readonly CurvePoint[]): ShapePoint[] | null {
  const final = curve[curve.length - 1]?.cumulative ?? 0;
  if (final <= 0) return null;
  const knots: ShapePoint[] = [{ at: 0, share: 0 }];
  for (const p of curve) {
    const share = Number((BigInt(Math.max(0, p.cumulative)) * BigInt(PPM)) / BigInt(final));
    // Refunds can lower a cumulative a little after a day: a shape never goes down.
    knots.push({ at: p.at, share: Math.max(share, knots[knots.length - 1]!.share) });
  }
  knots.push({ at: PPM, share: PPM });
  return knots;
}

/** Spread `total` over weights in proportion, exactly (largest remainder), in integers. */
export function spread(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (total <= 0 || weights.length === 0) return weights.map(() => 0);
  const w = sum > 0 ? weights : weights.map(() => 1);
  const wSum = BigInt(sum > 0 ? sum : weights.length);
  const exact = w.map((x) => BigInt(total) * BigInt(x));
  const out = exact.map((e) => Number(e / wSum));
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = exact.map((e, i) => ({ i, r: e % wSum })).sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : a.i - b.i));
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]!++;
  return out;
}

export interface PaceCampaign {
  starts_at: Date;
  ends_at: Date;
  raised: number;
  goal: number;
  stretch_goals: number[];
  match_ratio_ppm: number | null;
  match_cap: number | null;
}

export interface PaceReference {
  slug: string;
  title: string;
  endsAt: string;
  /** Its curve (its own currency); the shape is read from it. */
  curve: CurvePoint[];
}

/**
 * The projection. `curve` is this campaign's own (for the chart, passed through); `reference` the
 * previous campaign's, or null for the default curve.
 */
export function projectPace(c: PaceCampaign, reference: PaceReference | null, now: Date, timeZone: string): Pace {
  const refShape = reference ? shapeOf(reference.curve) : null;
  const shape = refShape ?? [...DEFAULT_SHAPE];
  const method: Pace['method'] =
    reference && refShape
      ? {
          kind: 'previous',
          slug: reference.slug,
          title: reference.title,
          endsAt: reference.endsAt,
          sentence: `shaped like ${reference.title} (ended ${zonedDay(new Date(new Date(reference.endsAt).getTime() - 1), timeZone)})`,
        }
      : { kind: 'default', sentence: DEFAULT_SHAPE_TEXT };

  const matched = matchedAmount(c.raised, c.match_ratio_ppm, c.match_cap);
  const total = c.raised + matched;
  const goals = [c.goal, ...c.stretch_goals];
  const { goal } = currentGoal(goals, total);
  const stillNeeded = Math.max(0, goal - total);
  const elapsed = elapsedPpm(c.starts_at, c.ends_at, now);
  const expectedShare = shareAt(shape, elapsed);

  let status: Pace['status'];
  let projectedRaised: number | null = null;
  let projectFrom: string | null = null;
  if (now >= c.ends_at) {
    status = 'ended';
    projectedRaised = c.raised;
  } else if (now < c.starts_at) {
    status = 'scheduled';
  } else if (expectedShare < MIN_SHARE_PPM) {
    status = 'too_early';
    const at = atShare(shape, MIN_SHARE_PPM);
    const span = c.ends_at.getTime() - c.starts_at.getTime();
    projectFrom = new Date(c.starts_at.getTime() + Math.ceil((span * at) / PPM)).toISOString();
  } else {
    status = 'projected';
    projectedRaised = Number((BigInt(c.raised) * BigInt(PPM)) / BigInt(expectedShare));
  }
  const projectedTotal = projectedRaised === null ? null : projectedRaised + matchedAmount(projectedRaised, c.match_ratio_ppm, c.match_cap);
  const reached = projectedTotal === null ? [] : goals.filter((g) => g <= projectedTotal);
  const projectedGoal = reached.length ? reached[reached.length - 1]! : null;

  // The days left: from today (or the first day) to the last day of the half-open window.
  const from = now < c.starts_at ? c.starts_at : now;
  const days: { date: string; start: Date; end: Date }[] = [];
  let daysLeft = 0;
  if (now < c.ends_at) {
    const last = zonedDay(new Date(c.ends_at.getTime() - 1), timeZone);
    daysLeft = Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${zonedDay(from, timeZone)}T00:00:00Z`)) / 86_400_000) + 1;
    for (let d = zonedDay(from, timeZone); d <= last && days.length < MAX_DAYS; d = nextDay(d)) {
      const start = days.length === 0 ? from : dayStart(d, timeZone);
      const dayEnd = dayStart(nextDay(d), timeZone);
      days.push({ date: d, start, end: dayEnd < c.ends_at ? dayEnd : c.ends_at });
    }
  }
  const weights = days.map(
    (d) => shareAt(shape, elapsedPpm(c.starts_at, c.ends_at, d.end)) - shareAt(shape, elapsedPpm(c.starts_at, c.ends_at, d.start)),
  );
  const amounts = spread(stillNeeded, weights);
  return {
    status,
    method,
    elapsed,
    expectedShare,
    goal,
    total,
    projectedRaised,
    projectedTotal,
    projectedGoal,
    projectFrom,
    stillNeeded,
    daysLeft,
    perDay: daysLeft > 0 ? Math.ceil(stillNeeded / daysLeft) : null,
    shapedNeed: days.map((d, i) => ({ date: d.date, amount: amounts[i]! })),
    shape,
  };
}
