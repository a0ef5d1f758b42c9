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

/**
 * A body over the limit (hono/body-limit in server/app.ts, the webhook fast path). The rest of the
 * body is never read, so the connection cannot carry another request: say so (Connection: close)
 * instead of leaving a keep-alive client to find the socket destroyed under its next request.
 */
export const payloadTooLarge = () =>
  new AppError('payload_too_large', 413, 'Request body is too large', undefined, { Connection: 'close' });

/** What a 500 says (app.onError): never its details. */
export const INTERNAL_ERROR = { error: { code: 'internal_error', message: 'Something went wrong on our side; please try again.' } };
