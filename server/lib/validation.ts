import type { z } from 'zod';
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
