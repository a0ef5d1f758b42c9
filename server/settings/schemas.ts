import { z } from 'zod';
import { canonicalTimeZone } from '../../common/time.js';
import { plainText } from '../campaigns/schemas.js';

/** An IANA zone, stored in its canonical spelling ("america/new_york" → "America/New_York"). */
export const timeZoneSchema = z.string({ error: 'must be a string' }).transform((v, ctx) => {
  const zone = canonicalTimeZone(v);
  if (zone) return zone;
  ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' });
  return z.NEVER;
});

/** PATCH /api/admin/settings: any subset; an empty string clears a field back to its default. */
export const updateSettingsSchema = z
  .strictObject({
    name: plainText(200),
    address: plainText(500), // newlines allowed: an address has lines
    timeZone: z.literal('').or(timeZoneSchema),
    taxId: plainText(100),
  })
  .partial();

export type UpdateSettingsInput = z.infer<typeof updateSettingsSchema>;
