import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { MailKind, MailKinds } from './templates.js';

/** Erased donors become `erased-<random>@erased.invalid` (server/erasure): one distinct, undeliverable address each. */
export const ERASED_DOMAIN = 'erased.invalid';

export interface QueuedMail<K extends MailKind> {
  kind: K;
  to: string;
  /**
   * Names the fact that causes the mail, e.g. `receipt:<payment id>` or
   * `digest.confirm:<subscriber>:<day>`. Unique for ever: queueing the same fact again (a
   * redelivered webhook, a double click) is a no-op, so a fact never causes two mails.
   */
  factKey: string;
  data: MailKinds[K];
  /** When the fact happened (the app's clock): the mail is due from then on. */
  at: Date;
}

/**
 * Queues a mail in the caller's transaction: it commits with the fact that causes it or not at
 * all, and the worker (worker.ts) sends it later. Returns false when the fact was already queued.
 */
export async function queueMail<K extends MailKind>(trx: Transaction<Database> | Kysely<Database>, mail: QueuedMail<K>): Promise<boolean> {
  // An erased donor's pseudonym is nobody's address: nothing is ever queued for it (a renewal or a
  // corrected notice after erasure still updates the money, silently).
  if (mail.to.trim().toLowerCase().endsWith(`@${ERASED_DOMAIN}`)) return false;
  const inserted = await trx
    .insertInto('mail_outbox')
    .values({
      fact_key: mail.factKey,
      kind: mail.kind,
      to_address: mail.to.trim().toLowerCase(),
      data: JSON.stringify(mail.data),
      next_attempt_at: mail.at,
      created_at: mail.at,
    })
    .onConflict((oc) => oc.column('fact_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * queueMail for several mails in one statement, in the order given (the worker sends due mails
 * in id order). The ledger gathers the mails its facts cause (receipts, corrected notices) and
 * queues them here at the end of its transaction: one round trip however many events a group
 * commit holds. A fact already queued (or repeated in the list) is skipped, as in queueMail.
 */
export async function queueMails(trx: Transaction<Database> | Kysely<Database>, mails: QueuedMail<MailKind>[]): Promise<void> {
  const rows = mails
    .filter((m) => !m.to.trim().toLowerCase().endsWith(`@${ERASED_DOMAIN}`))
    .map((m) => ({
      fact_key: m.factKey,
      kind: m.kind,
      to_address: m.to.trim().toLowerCase(),
      data: JSON.stringify(m.data),
      next_attempt_at: m.at,
      created_at: m.at,
    }));
  if (!rows.length) return;
  await trx
    .insertInto('mail_outbox')
    .values(rows)
    .onConflict((oc) => oc.column('fact_key').doNothing())
    .execute();
}
