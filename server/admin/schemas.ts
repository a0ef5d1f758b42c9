import { z } from 'zod';
import { LOCALES } from '../../common/i18n.js';
import { minorUnits, multiLine, singleLine } from '../campaigns/schemas.js';
import { cursorParam, isCursorTimestamp, isRowId, isSafeText, queryText } from '../lib/validation.js';

export const loginSchema = z.strictObject({
  email: z.string().trim().toLowerCase().min(1, 'is required').max(254).refine(isSafeText, 'contains control characters'),
  password: z.string().min(1, 'is required').max(1024),
});

/** At least 10 characters like ADMIN_PASSWORD; the upper bound keeps argon2 input sane. */
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');

export const adminEmailSchema = z
  .email('must be a valid e-mail address')
  .max(254)
  .transform((e) => e.toLowerCase());
export const adminRoles = ['owner', 'editor', 'viewer'] as const;
export const roleSchema = z.enum(adminRoles, { error: 'must be owner, editor or viewer' });

/** An invitation: the invited admin chooses their own password (no password field here). */
export const newAdminSchema = z.strictObject({ email: adminEmailSchema, role: roleSchema });
export const changeRoleSchema = z.strictObject({ role: roleSchema });
export const adminIdSchema = z.object({
  id: z.coerce.number().int('must be an admin id').min(1, 'must be an admin id').max(2_147_483_647, 'must be an admin id'),
});

/** 32 random bytes, base64url: anything else is not one of our links. */
export const invitationTokenSchema = z.object({ token: z.string().regex(/^[\w-]{43}$/, 'is not an invitation token') });
export const acceptInvitationSchema = z.strictObject({ password: passwordSchema });
export const reauthSchema = z.strictObject({ password: z.string().min(1, 'is required').max(1024) });

export const changePasswordSchema = z.strictObject({
  currentPassword: z.string().min(1, 'is required').max(1024),
  newPassword: passwordSchema,
});

/**
 * When an offline gift was received: an instant with its offset, or a calendar date, which is
 * that day in the organisation's time zone (resolved by the route, which knows the zone), so a
 * cheque dated December 2 is a December 2 gift in New York too.
 */
const isoDate = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date' })
  .transform((s): ReceivedAt => ({ instant: new Date(s) }))
  .or(z.iso.date({ error: 'must be an ISO 8601 date' }).transform((s): ReceivedAt => ({ day: s })));

export type ReceivedAt = { instant: Date } | { day: string };

const optionalName = singleLine(100)
  .nullable()
  .optional()
  .transform((v) => (v === undefined ? undefined : v || null));
const optionalEmail = z
  .email('must be a valid e-mail address')
  .max(254)
  .nullable()
  .optional()
  .or(z.literal('').transform(() => null));
const optionalNote = multiLine(1000)
  .nullable()
  .optional()
  .transform((v) => (v === undefined ? undefined : v || null));

export const offlineGiftSchema = z.strictObject({
  amount: minorUnits,
  receivedAt: isoDate,
  name: optionalName,
  email: optionalEmail,
  note: optionalNote,
  /** On the public donor wall: off unless the donor agreed (an offline donor never saw a form). */
  showOnWall: z.boolean().optional().default(false),
  anonymous: z.boolean().optional().default(false),
  /** The donor's language: their receipt is written in it (null: English). */
  locale: z.enum(LOCALES).nullable().optional(),
});

export const offlineGiftUpdateSchema = z
  .strictObject({
    amount: minorUnits.optional(),
    receivedAt: isoDate.optional(),
    name: optionalName,
    email: optionalEmail,
    note: optionalNote,
    voided: z.boolean().optional(),
    showOnWall: z.boolean().optional(),
    anonymous: z.boolean().optional(),
  })
  .refine((o) => Object.values(o).some((v) => v !== undefined), { message: 'nothing to change' });

export const donationStatuses = ['paid', 'pending', 'failed', 'refunded', 'partially_refunded', 'disputed', 'expired', 'voided'] as const;
export type DonationStatus = (typeof donationStatuses)[number] | 'created';

export const donationFilterSchema = z.strictObject({
  q: queryText(200)
    .optional()
    .transform((v) => v || undefined),
  status: z.enum(donationStatuses).optional(),
  frequency: z.enum(['once', 'monthly']).optional(),
  source: z.enum(['stripe', 'offline']).optional(),
});

/** (created_at at microseconds, gift id): see listDonations. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const donationCursor = cursorParam((p) => p.length === 2 && isCursorTimestamp(p[0]) && typeof p[1] === 'string' && UUID.test(p[1]));

export const donationListSchema = donationFilterSchema.extend({
  cursor: donationCursor,
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const pageSchema = z.strictObject({
  cursor: cursorParam((p) => p.length === 1 && isRowId(p[0])),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const auditQuerySchema = pageSchema.extend({
  entity: z.enum(['campaign', 'gift', 'admin']).optional(),
  entityId: queryText(100).optional(),
});

export const giftIdSchema = z.object({ giftId: z.uuid('must be a gift id') });

export type DonationFilter = z.infer<typeof donationFilterSchema>;
export type OfflineGiftInput = z.infer<typeof offlineGiftSchema>;
export type OfflineGiftUpdate = z.infer<typeof offlineGiftUpdateSchema>;
