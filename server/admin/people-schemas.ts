import { z } from 'zod';
import { adminEmailSchema, passwordSchema } from './schemas.js';

/** Statements, password resets and erasure (the statements work); kept apart from schemas.ts. */
export const statementYearSchema = z.object({
  year: z.coerce.number().int('must be a year').min(2000, 'must be a year from 2000').max(9998, 'must be a year'),
});
export const startStatementsSchema = z.strictObject({
  year: z.number().int('must be a year').min(2000, 'must be a year from 2000').max(9998, 'must be a year'),
  perMinute: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').optional(),
});
export const donorStatementQuerySchema = z.object({ email: adminEmailSchema });

export const resetRequestSchema = z.strictObject({ email: adminEmailSchema });
/** 32 random bytes, base64url. */
export const resetTokenSchema = z.object({ token: z.string().regex(/^[\w-]{43}$/, 'is not a reset token') });
export const resetPasswordSchema = z.strictObject({ password: passwordSchema });

/** Erasure: the address, typed twice (confirm) so that a slip of the keyboard erases nobody. */
export const erasurePreviewSchema = z.strictObject({ email: adminEmailSchema });
export const erasureSchema = z.strictObject({ email: adminEmailSchema, confirm: adminEmailSchema });
