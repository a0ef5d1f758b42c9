import { z } from 'zod';
import { TAX_LANGUAGES, TAX_STATUSES } from '../../common/tax.js';
import { canonicalTimeZone } from '../../common/time.js';
import { plainText, singleLine } from '../campaigns/schemas.js';

/** An IANA zone, stored in its canonical spelling ("america/new_york" → "America/New_York"). */
export const timeZoneSchema = z.string({ error: 'must be a string' }).transform((v, ctx) => {
  const zone = canonicalTimeZone(v);
  if (zone) return zone;
  ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' });
  return z.NEVER;
});

/** A logo in a mail: https only (mail clients block or warn on plain http), no credentials. */
const logoUrlSchema = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .refine(
    (s) => {
      if (s === '') return true;
      try {
        const u = new URL(s);
        return u.protocol === 'https:' && !u.username && !u.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an https:// URL' },
  );

/** The legal text per language: only known languages, each a few paragraphs at most. */
const taxTextsSchema = z
  .strictObject(
    Object.fromEntries(TAX_LANGUAGES.map((l) => [l, plainText(2000)])) as Record<
      (typeof TAX_LANGUAGES)[number],
      ReturnType<typeof plainText>
    >,
  )
  .partial();

/** PATCH /api/admin/settings: any subset; an empty string clears a field back to its default. */
export const updateSettingsSchema = z
  .strictObject({
    name: plainText(200),
    address: plainText(500), // newlines allowed: an address has lines
    timeZone: z.literal('').or(timeZoneSchema),
    taxId: plainText(100),
    taxStatus: z.enum(TAX_STATUSES, { error: `must be one of ${TAX_STATUSES.join(', ')}` }),
    sponsorName: singleLine(200),
    sponsorTaxId: singleLine(100),
    taxTexts: taxTextsSchema,
    footer: plainText(1000),
    logoUrl: logoUrlSchema,
  })
  .partial();

export type UpdateSettingsInput = z.infer<typeof updateSettingsSchema>;
