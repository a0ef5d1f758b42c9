import { type Kysely, type RawBuilder, type Transaction, sql } from 'kysely';
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
 * queueMail for several mails at once, as a data-modifying CTE (`mails_queued as (insert ...)`)
 * for the caller's statement, or null when there is nothing to queue. The ledger gathers the
 * mails its facts cause (receipts, corrected notices) and queues them at the end of its
 * transaction with its other last writes: no round trip of their own however many events a
 * group commit holds. Rows are inserted in the order given (the worker sends due mails in id
 * order); a fact already queued, or repeated in the list, is skipped, as in queueMail.
 */
export function mailsCte(mails: QueuedMail<MailKind>[]): RawBuilder<unknown> | null {
  const rows = mails.filter((m) => !m.to.trim().toLowerCase().endsWith(`@${ERASED_DOMAIN}`));
  if (!rows.length) return null;
  const values = sql.join(
    rows.map(
      (m, i) =>
        sql`(${i}::int, ${m.factKey}::text, ${m.kind}::text, ${m.to.trim().toLowerCase()}::text, ${JSON.stringify(m.data)}::jsonb, ${m.at.toISOString()}::timestamptz)`,
    ),
  );
  return sql`mails_queued as (insert into mail_outbox (fact_key, kind, to_address, data, next_attempt_at, created_at)
    select fact_key, kind, to_address, data, at, at from (values ${values}) as v(n, fact_key, kind, to_address, data, at) order by n
    on conflict (fact_key) do nothing)`;
}
