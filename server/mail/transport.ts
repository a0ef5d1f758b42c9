import nodemailer from 'nodemailer';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  messageId: string;
}

/** Where mail goes: SMTP, or nowhere but the database (the built-in outbox). */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** SMTP_URL unset: the mail is "delivered" by being stored, readable at /admin/outbox. */
export const outboxTransport: MailTransport = { kind: 'outbox', send: async () => {}, close() {} };

/**
 * nodemailer over SMTP_URL: smtp:// upgrades with STARTTLS when offered, smtps:// is TLS from the
 * first byte; user:pass in the URL authenticates. The timeouts bound one attempt well inside the
 * worker's lease, so a live worker never has its mail taken over by another.
 */
export function smtpTransport(url: string, opts: { tls?: { rejectUnauthorized?: boolean } } = {}): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  return {
    kind: 'smtp',
    async send(m) {
      await transporter.sendMail({
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        headers: m.headers,
        messageId: m.messageId,
      });
    },
    close: () => transporter.close(),
  };
}

export type SendFailure =
  /** The receiving server refused this recipient for good (5xx on RCPT TO): suppress the address. */
  | { kind: 'recipient-rejected'; message: string }
  /** The server refused this message for good (5xx after DATA): do not retry it. */
  | { kind: 'permanent'; message: string }
  /** Anything else (connection refused, timeout, 4xx, a 5xx about our login or sender): retry. */
  | { kind: 'temporary'; message: string };

/**
 * Sorts a nodemailer error. Only the recipient's own 5xx suppresses an address: a 5xx on AUTH or
 * MAIL FROM is our configuration's fault and must not blacklist every donor.
 */
export function classifySendError(err: unknown): SendFailure {
  const e = err as { responseCode?: number; command?: string; message?: string; response?: string };
  const message = String(e?.response ?? e?.message ?? err).slice(0, 500);
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  if (code !== undefined && code >= 500 && code < 600) {
    if (e.command === 'RCPT TO') return { kind: 'recipient-rejected', message };
    if (e.command === 'DATA') return { kind: 'permanent', message };
  }
  return { kind: 'temporary', message };
}
