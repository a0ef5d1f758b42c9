import { z } from 'zod';
import { AppError } from '../errors.js';

/** zValidator hook: the first problem as our error shape, naming the field (SPEC §4, §7). */
export function validationHook(result: { success: boolean; error?: z.core.$ZodError }): void {
  if (!result.success && result.error) throw zodToAppError(result.error);
}

export function zodToAppError(error: z.core.$ZodError): AppError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0]].filter(Boolean).join('.');
    return new AppError('invalid_request', 400, `Unknown field: ${issue.keys.join(', ')}`, key);
  }
  const field = path.join('.');
  return new AppError('invalid_request', 400, field ? `${field} ${issue.message}` : issue.message, field || undefined);
}

/**
 * What PostgreSQL cannot take or a person never types in a search box or an e-mail: NUL (text
 * columns refuse it, the driver error was a 500), other C0 controls and DEL, and lone UTF-16
 * surrogates (not valid UTF-8).
 */
const UNSAFE_TEXT = /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isSafeText = (s: string) => !UNSAFE_TEXT.test(s);

/** A short text from a query string or path (search terms, ids, filters): validated like a body. */
export const queryText = (max: number) =>
  z.string().trim().max(max, `must be at most ${max} characters`).refine(isSafeText, { message: 'contains control characters' });

/** Keyset cursors are opaque to the client but parsed by us: base64url JSON, checked here. */
export function decodeCursorJson(cursor: string): unknown[] | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A serial id as PostgreSQL's int4 holds it (a larger number was an "out of range" 500). */
export const isRowId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 2147483647;

/** 2026-12-31T23:59:59.123456Z that names a real instant (no 30 February, no year 0). */
export function isCursorTimestamp(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (y < 1900 || h > 23 || mi > 59 || s > 59) return false;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** A cursor query parameter whose decoded shape `check` accepts, else a 400 naming it. */
export const cursorParam = (check: (parts: unknown[]) => boolean) =>
  z
    .string()
    .max(400)
    .refine(
      (s) => {
        const parts = decodeCursorJson(s);
        return !!parts && check(parts);
      },
      { message: 'is not a cursor this list gave out' },
    )
    .optional();
