import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error shape of the HTTP API (SPEC §4): {"error":{"code","message","field"?}}. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export const notFound = (what: string) => new AppError('not_found', 404, `${what} not found`);
export const badRequest = (message: string, field?: string) => new AppError('invalid_request', 400, message, field);
