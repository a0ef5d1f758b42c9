import { z } from 'zod';
import { LOCALES } from '../../common/i18n.js';
import { multiLine, singleLine } from '../campaigns/schemas.js';

/** Empty text means "use the campaign's own copy" (null). */
const copy = <T extends z.ZodType<string>>(t: T) =>
  t
    .nullable()
    .optional()
    .transform((v) => (v === undefined ? undefined : v ? v : null));

const fields = {
  name: singleLine(80).pipe(z.string().min(1, 'is required')),
  headline: copy(singleLine(200)),
  message: copy(multiLine(2000)),
  button: copy(singleLine(40)),
  locale: z
    .enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` })
    .nullable()
    .optional(),
  weight: z.number().int('must be a whole number').min(0).max(1000),
  control: z.boolean(),
};

export const variantInputSchema = z.strictObject({
  ...fields,
  weight: fields.weight.optional().default(1),
  control: fields.control.optional().default(false),
});
export type VariantInput = z.infer<typeof variantInputSchema>;

export const variantPatchSchema = z.strictObject({
  name: fields.name.optional(),
  headline: fields.headline,
  message: fields.message,
  button: fields.button,
  locale: fields.locale,
  weight: fields.weight.optional(),
  control: fields.control.optional(),
  status: z.enum(['active', 'stopped']).optional(),
});
export type VariantPatch = z.infer<typeof variantPatchSchema>;

export const variantIdSchema = z.string().regex(/^v[A-Za-z0-9_-]{1,20}$/, 'must be a variant id');

/** POST /api/campaigns/:slug/events (common/api.ts FunnelBeacon). */
export const BEACON_MAX_BYTES = 4096;
export const beaconSchema = z.strictObject({
  events: z
    .array(
      z.strictObject({
        type: z.enum(['impression', 'open']),
        variant: z.string().max(40).nullable(),
        count: z.number().int('must be a whole number').min(1).max(100),
      }),
    )
    .min(1)
    .max(20),
});
