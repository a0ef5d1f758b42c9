import pino from 'pino';

export type Logger = pino.Logger;

/** Structured logs (STYLE §12): never secrets, card data or full e-mail addresses. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['*.email', '*.password', 'email', 'password', 'headers.cookie', 'headers.authorization'], censor: '[redacted]' },
  });
}

/** "ada@example.org" → "a***@example.org": enough to tell donors apart in a log line. */
export function maskEmail(email: string | null | undefined): string | undefined {
  if (!email) return undefined;
  const at = email.indexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}
