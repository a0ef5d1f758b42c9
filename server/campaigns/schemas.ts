import { z } from 'zod';
import { MAX_AMOUNT, MAX_TOTAL, type Ppm, isSupportedCurrency, parseRate } from '../../common/money.js';

/** Text a person typed: trimmed, no control characters or bidi overrides (unicode tricks). */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/.test(s), {
      message: 'contains control or direction-override characters',
    });

/**
 * A name on one line: no line breaks or tabs. Names show on the donor wall, in receipts and in
 * the CSV export, where a line break has no legitimate use and only helps forge a line. Longer
 * free text (a comment, a note) keeps its line breaks, normalised to \n; the CSV export quotes them.
 */
export const singleLine = (max: number) =>
  plainText(max).refine((s) => !/[\t\n\r\u2028\u2029\u0085]/.test(s), { message: 'must be on one line' });

/** Multi-line text with every line break as \n (a lone \r is a line break in spreadsheets). */
export const multiLine = (max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n'))
    .pipe(plainText(max));

export const minorUnits = z
  .number({ error: 'must be a number' })
  .int('must be a whole number of minor units (cents)')
  .positive('must be positive')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** Goals and match caps are totals, not single charges: far above Stripe's 8-digit charge limit,
 * still exact as JavaScript numbers. */
export const totalMinorUnits = z
  .number({ error: 'must be a number' })
  .int('must be a whole number of minor units (cents)')
  .positive('must be positive')
  .max(MAX_TOTAL, `must be at most ${MAX_TOTAL}`);

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lower-case letters, digits and single dashes');

const currency = z.string().trim().toUpperCase().refine(isSupportedCurrency, { message: 'is not a supported ISO 4217 currency code' });

const isoDate = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((s) => new Date(s));

/**
 * A rate as an exact decimal, a JSON number (0.029) or decimal text ("0.029"), read digit by digit
 * into parts per million (common/money.ts parseRate): the output is `{ ppm }`, the integer the
 * database keeps, never a float (and the wrapper keeps a fraction from passing for ppm by
 * mistake). At most 6 decimals; `maxPpm` bounds it.
 */
const rateSchema = (maxPpm: Ppm, positive: boolean) =>
  z.union([z.number(), z.string()], { error: 'must be a decimal number' }).transform((v, ctx): { ppm: Ppm } => {
    const r = parseRate(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    }
    if (r.ppm > maxPpm || (positive && r.ppm === 0)) {
      ctx.addIssue({ code: 'custom', message: `must be ${positive ? 'above 0 and ' : 'between 0 and '}at most ${maxPpm / 1_000_000}` });
      return z.NEVER;
    }
    return { ppm: r.ppm };
  });

/** `ratio` comes out as `{ ppm }` (1 → 1_000_000). */
export const matchSchema = z.strictObject({
  ratio: rateSchema(10_000_000, true),
  cap: totalMinorUnits,
});

/**
 * A site allowed to embed the campaign, as an origin: scheme, host and port only
 * ("https://news.example.org"). A path, query or credentials would mean the admin typed a page
 * address; say so rather than guess.
 */
export const originSchema = z
  .string()
  .trim()
  .max(200)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s.replace(/\/$/, '').toLowerCase();
      } catch {
        return false;
      }
    },
    { message: 'must be an origin like https://news.example.org (no path)' },
  )
  .transform((s) => new URL(s).origin);

/** The bounds migrations/0021_pace_frequency checks too: a cap of 0 would hide the banner for good. */
export const FREQUENCY_LIMITS = { impressions: { min: 1, max: 1000 }, days: { min: 1, max: 365 } } as const;

export const frequencySchema = z.strictObject(
  {
    impressions: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(FREQUENCY_LIMITS.impressions.min, `must be at least ${FREQUENCY_LIMITS.impressions.min}`)
      .max(FREQUENCY_LIMITS.impressions.max, `must be at most ${FREQUENCY_LIMITS.impressions.max}`),
    days: z
      .number({ error: 'must be a number' })
      .int('must be a whole number of days')
      .min(FREQUENCY_LIMITS.days.min, `must be at least ${FREQUENCY_LIMITS.days.min}`)
      .max(FREQUENCY_LIMITS.days.max, `must be at most ${FREQUENCY_LIMITS.days.max}`),
  },
  { error: 'must be {impressions, days} (both) or null' },
);

const campaignFields = {
  slug: slugSchema,
  title: plainText(200).pipe(z.string().min(1, 'is required')),
  headline: plainText(200).pipe(z.string().min(1, 'is required')),
  message: plainText(2000),
  currency,
  goal: totalMinorUnits,
  startsAt: isoDate,
  endsAt: isoDate,
  presets: z.array(minorUnits).min(1).max(8),
  /** Out as `{ ppm }`: 0.029 → { ppm: 29_000 }. */
  feeRate: rateSchema(500_000, false).optional(),
  feeFixed: z.number().int().min(0).max(100_000).optional(),
  match: matchSchema.nullable().optional(),
  allowedOrigins: z.array(originSchema).max(50).optional(),
  /**
   * Stretch goals (SPEC §13): every goal in order, the first being `goal`. Given alone it sets
   * `goal` too; given with `goal`, its first entry must be that goal.
   */
  goals: z
    .array(totalMinorUnits)
    .min(1)
    .max(10)
    .refine((g) => g.every((v, i) => i === 0 || v > g[i - 1]!), { message: 'must be in ascending order, each above the one before' })
    .optional(),
  /** Where the banner sends readers once this campaign has ended: another campaign's slug, or null. */
  followOn: slugSchema.nullable().optional(),
  /**
   * Frequency capping (SPEC §13): at most `impressions` banner views per reader per `days`,
   * counted by the widget in the host page's storage; null: uncapped. Both or neither.
   */
  frequency: frequencySchema.nullable().optional(),
};

const goalsAgree = (c: { goal?: number; goals?: number[] }) => !(c.goal !== undefined && c.goals && c.goals[0] !== c.goal);
const goalsMessage = { message: 'must start with goal (the first goal); send goals alone to change both', path: ['goals'] };

export const createCampaignSchema = z
  .strictObject({ ...campaignFields, goal: totalMinorUnits.optional() })
  .refine((c) => c.goal !== undefined || c.goals !== undefined, { message: 'is required', path: ['goal'] })
  .refine(goalsAgree, goalsMessage)
  .refine((c) => c.endsAt > c.startsAt, { message: 'must be after startsAt', path: ['endsAt'] })
  .transform((c) => ({ ...c, goal: c.goals?.[0] ?? c.goal! }));

export const updateCampaignSchema = z
  .strictObject({ ...campaignFields, archived: z.boolean() })
  .partial()
  .refine(goalsAgree, goalsMessage)
  .refine((c) => !(c.startsAt && c.endsAt) || c.endsAt > c.startsAt, {
    message: 'must be after startsAt',
    path: ['endsAt'],
  })
  .transform((c) => (c.goals ? { ...c, goal: c.goals[0]! } : c));

export type CreateCampaignInput = z.infer<typeof createCampaignSchema>;
export type UpdateCampaignInput = z.infer<typeof updateCampaignSchema>;
