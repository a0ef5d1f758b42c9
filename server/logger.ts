import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured logs (STYLE §12): never secrets, card data or full e-mail addresses.
 * - Fields named email/password/cookie/authorization are redacted outright.
 * - Errors go through one serializer that drops what a driver attaches about the failing query's
 *   values (PGlite puts `params` on its errors; others use `parameters`/`values`) and masks
 *   e-mails in what is left (PostgreSQL repeats values in `detail`: "Key (email)=(...) exists").
 * - Every other string of a log line, the message included, has e-mail addresses masked: a
 *   value can reach a log through a message nobody thought of.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: ['*.email', '*.password', 'email', 'password', 'headers.cookie', 'headers.authorization'], censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
    formatters: { log: (obj) => maskDeep(obj, 0) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskEmails(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Keys that carry a query's bound values (or the whole query object that holds them). */
const QUERY_VALUE_KEYS = new Set(['params', 'parameters', 'values', 'queryOptions', 'bindings']);

export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return maskDeep(err, 0);
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const k of QUERY_VALUE_KEYS) delete out[k];
  return maskDeep(out, 0);
}

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;

export function maskEmails(s: string): string {
  return s.replace(EMAIL, '$1***@$2');
}

function maskDeep(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return maskEmails(v);
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) return safeError(v);
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, depth + 1));
  if (v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (QUERY_VALUE_KEYS.has(k)) continue;
    out[k] = maskDeep(x, depth + 1);
  }
  return out;
}

/** "ada@example.org" → "a***@example.org": enough to tell donors apart in a log line. */
export function maskEmail(email: string | null | undefined): string | undefined {
  if (!email) return undefined;
  const at = email.indexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}
