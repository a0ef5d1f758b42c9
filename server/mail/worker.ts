import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, type Updateable, sql } from 'kysely';
import { DEFAULT_LOCALE, type Locale, isLocale } from '../../common/i18n.js';
import type { Database } from '../../db/schema.js';
import type { MailOutboxTable, OutboxRow } from '../../db/schema/mail.js';
import type { Config } from '../config.js';
import { type Logger, maskEmail } from '../logger.js';
import { organisation } from './organisation.js';
import { receiptNumber } from './receipts.js';
import { linkSigner } from '../manage/links.js';
import { isMailKind, type MailKind, type MailKinds, type RenderedMail, renderMail } from './templates.js';
import { classifySendError, type MailTransport, outboxTransport, smtpTransport } from './transport.js';

export interface MailWorkerOptions {
  db: Kysely<Database>;
  config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'org' | 'orgName' | 'publicUrl' | 'linkSecret'>;
  clock: () => Date;
  log: Logger;
  /** Default: SMTP when SMTP_URL is set, else the built-in outbox. */
  transport?: MailTransport;
  /** Names this worker in claims (logs, debugging); a random suffix makes every claim unique. */
  name?: string;
  /** How long a claim is exclusive. A worker that dies mid-send loses it after this. */
  leaseMs?: number;
  /** Attempts before a mail is given up as failed. */
  maxAttempts?: number;
  /** Mails one runOnce() sends at most. */
  batchSize?: number;
  /** Idle wait of the background loop between runs. */
  pollMs?: number;
}

export interface RunResult {
  sent: number;
  retrying: number;
  failed: number;
  suppressed: number;
}

/** 1 min, 2, 4, 8 … capped at 6 h: about two days of tries over 12 attempts. */
export function backoffMs(attempt: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempt - 1), 6 * 3_600_000);
}

/**
 * Sends queued mail (queue.ts). Why an outbox table and not pg-boss: a mail must be queued in the
 * caller's Kysely transaction (on PGlite too, which is one connection) and its fact key must stay
 * unique after the mail is sent, so a webhook redelivered next week still queues nothing; pg-boss
 * keeps singleton keys only while a job is queued or active and needs its own connection pool.
 *
 * Exactly once per fact across instances: a claim is one UPDATE on a row picked with FOR UPDATE
 * SKIP LOCKED, so two workers never take the same row; the claim is a lease, so a worker that
 * dies mid-send hands its mail on when the lease runs out; the result is written only by the
 * claim that sent it. The one window left is a crash after the SMTP server accepted the mail and
 * before the row says so: that mail is sent again, with the same Message-ID so receivers can
 * fold the two.
 */
export function createMailWorker(opts: MailWorkerOptions) {
  const { db, config, clock, log } = opts;
  const transport = opts.transport ?? (config.smtpUrl ? smtpTransport(config.smtpUrl) : outboxTransport);
  const name = opts.name ?? `mail-${randomBytes(3).toString('hex')}`;
  const leaseMs = opts.leaseMs ?? 10 * 60_000;
  const maxAttempts = opts.maxAttempts ?? 12;
  const batchSize = opts.batchSize ?? 20;
  const pollMs = opts.pollMs ?? 2_000;
  const fromDomain = /@([^>\s]+)>?\s*$/.exec(config.mailFrom)?.[1] ?? 'groundswell.invalid';

  async function claim(now: Date): Promise<OutboxRow | undefined> {
    const token = `${name}:${randomBytes(6).toString('hex')}`;
    const due = db
      .selectFrom('mail_outbox')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(1)
      .forUpdate()
      .skipLocked();
    return db
      .updateTable('mail_outbox')
      .set((eb) => ({
        status: 'sending',
        attempts: eb('attempts', '+', 1),
        lease_until: new Date(now.getTime() + leaseMs),
        claimed_by: token,
      }))
      .where('id', '=', (eb) => eb.selectFrom(due.as('due')).select('due.id'))
      .returningAll()
      .executeTakeFirst();
  }

  /** Writes the outcome only if this claim still holds the row (a lease lost to another worker is not ours to settle). */
  async function settle(row: OutboxRow, values: Updateable<MailOutboxTable>) {
    await db
      .updateTable('mail_outbox')
      .set({ ...values, lease_until: null })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('claimed_by', '=', row.claimed_by)
      .execute();
  }

  async function deliver(row: OutboxRow, result: RunResult): Promise<void> {
    const now = clock();
    const suppressed = await db
      .selectFrom('mail_suppressions')
      .select(['reason', 'created_at'])
      .where('address', '=', row.to_address)
      .executeTakeFirst();
    if (suppressed) {
      result.suppressed++;
      await settle(row, {
        status: 'suppressed',
        last_error: `not sent: address suppressed since ${suppressed.created_at.toISOString()} (${suppressed.reason})`,
      });
      return;
    }
    // Reads first, outside the render's try: a database fault here is not the mail's fault, so it
    // propagates and the claim's lease hands the mail to a later run instead of failing it for good.
    const org = await organisation(db, config);
    let data = row.data as MailKinds[MailKind];
    // A receipt's number is assigned when the receipt (or a notice citing it) is first produced,
    // here, outside the money transaction; the same number on every later attempt.
    if (row.kind === 'receipt' || row.kind === 'receipt.correction') {
      const d = data as MailKinds['receipt' | 'receipt.correction'];
      if (typeof d.paymentId === 'number') data = { ...d, number: await receiptNumber(db, d.paymentId, now) };
    }
    // A monthly gift's receipt carries its manage link, signed now: valid for its full lifetime
    // from the moment the donor receives it.
    if (row.kind === 'receipt') {
      const d = data as MailKinds['receipt'];
      if (d.recurring && d.giftId && !d.manageUrl) data = { ...d, manageUrl: (await linkSigner(db, config)).manageUrl(d.giftId, now) };
    }
    const locale = await mailLocale(db, row.kind, data, row.to_address);
    let rendered: RenderedMail;
    try {
      if (!isMailKind(row.kind)) throw new Error(`unknown mail kind ${row.kind}`);
      rendered = renderMail(row.kind, data, { org, publicUrl: config.publicUrl, locale });
    } catch (err) {
      result.failed++;
      log.error({ err, mailId: row.id, kind: row.kind }, 'mail could not be rendered');
      await settle(row, { status: 'failed', last_error: `could not be rendered: ${(err as Error).message}`.slice(0, 500) });
      return;
    }
    const messageId = `<${createHash('sha256').update(row.fact_key).digest('hex').slice(0, 32)}@${fromDomain}>`;
    const content = {
      subject: rendered.subject,
      text_body: rendered.text,
      html_body: rendered.html,
      headers: JSON.stringify(rendered.headers),
      message_id: messageId,
      transport: transport.kind,
    } satisfies Updateable<MailOutboxTable>;
    try {
      await transport.send({ from: config.mailFrom, to: row.to_address, messageId, ...rendered });
    } catch (err) {
      const failure = classifySendError(err);
      const who = maskEmail(row.to_address);
      if (failure.kind === 'recipient-rejected') {
        result.suppressed++;
        log.warn({ mailId: row.id, to: who, reason: failure.message }, 'recipient rejected permanently: address suppressed');
        await db
          .insertInto('mail_suppressions')
          .values({ address: row.to_address, reason: failure.message.slice(0, 300), created_at: now })
          .onConflict((oc) => oc.column('address').doNothing())
          .execute();
        await settle(row, { ...content, status: 'suppressed', last_error: failure.message });
      } else if (failure.kind === 'permanent' || row.attempts >= maxAttempts) {
        result.failed++;
        log.error({ mailId: row.id, to: who, attempts: row.attempts, reason: failure.message }, 'mail failed for good');
        await settle(row, { ...content, status: 'failed', last_error: failure.message });
      } else {
        result.retrying++;
        const next = new Date(now.getTime() + backoffMs(row.attempts));
        log.warn({ mailId: row.id, to: who, attempts: row.attempts, retryAt: next, reason: failure.message }, 'mail not sent; will retry');
        await settle(row, { ...content, status: 'pending', next_attempt_at: next, last_error: failure.message });
      }
      return;
    }
    result.sent++;
    await settle(row, { ...content, status: 'sent', sent_at: clock(), last_error: null });
  }

  /** Sends what is due now, one claimed mail at a time, up to batchSize. */
  async function runOnce(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retrying: 0, failed: 0, suppressed: 0 };
    for (let i = 0; i < batchSize; i++) {
      const row = await claim(clock());
      if (!row) break;
      await deliver(row, result);
    }
    return result;
  }

  let loop: Promise<void> | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;

  return {
    transport,
    runOnce,
    /** The background loop of a server process; several processes may run it at once. */
    start() {
      if (loop) return;
      stopped = false;
      loop = (async () => {
        while (!stopped) {
          let busy = false;
          try {
            const r = await runOnce();
            busy = r.sent + r.retrying + r.failed + r.suppressed >= batchSize;
          } catch (err) {
            log.error({ err }, 'mail worker run failed');
          }
          if (!busy && !stopped) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, pollMs);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
          }
        }
      })();
    },
    /** Waits for the mail in hand (if any) to be settled, then closes the transport. */
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      loop = undefined;
      transport.close();
    },
  };
}

export type MailWorker = ReturnType<typeof createMailWorker>;

/** Mails to donors, written in the donor's language; the rest (admins, digest) stay English. */
const DONOR_KINDS: ReadonlySet<string> = new Set([
  'receipt',
  'receipt.correction',
  'manage.link',
  'subscription.canceled',
  'payment.failed',
  'card.expiring',
  'pledge.invite',
  'statement',
] satisfies MailKind[]);

/**
 * The language of a donor's mail (SPEC §13): what the mail's data says (a pledge's), else the
 * language of the gift a receipt or notice is about, else that of the address's latest gift;
 * English when none was recorded. Read when the mail is sent, so nothing queued needs to carry it.
 */
export async function mailLocale(db: Kysely<Database>, kind: string, data: unknown, to: string): Promise<Locale> {
  if (!DONOR_KINDS.has(kind)) return DEFAULT_LOCALE;
  const d = (data ?? {}) as { locale?: unknown; paymentId?: unknown; giftId?: unknown };
  if (isLocale(d.locale)) return d.locale;
  let row: { locale: Locale | null } | undefined;
  if (typeof d.paymentId === 'number') {
    row = await db
      .selectFrom('payments as p')
      .innerJoin('gifts as g', 'g.id', 'p.gift_id')
      .where('p.id', '=', d.paymentId)
      .select('g.locale')
      .executeTakeFirst();
  } else {
    row = await db
      .selectFrom('gifts')
      .where((eb) => eb.fn('lower', ['email']), '=', to.toLowerCase())
      .where('locale', 'is not', null)
      .select('locale')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }
  return row?.locale ?? DEFAULT_LOCALE;
}

/** Counts by status, for the admin page. */
export async function outboxCounts(db: Kysely<Database>) {
  const rows = await db
    .selectFrom('mail_outbox')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
