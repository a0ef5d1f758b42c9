import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The Stripe event journal outside the ledger's transaction: what the route needs to know and
 * write when an event could not be applied. Applying an event (and marking it processed) is the
 * ledger's job, in the same transaction as its effects (server/ledger/ledger.ts claimEvent).
 */
export interface JournalEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  payload: string;
}

/** Applied (processed, ignored or parked): only then is a delivery a duplicate. */
export async function alreadyApplied(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db.selectFrom('stripe_events').where('id', '=', id).select('outcome').executeTakeFirst();
  return row !== undefined && row.outcome !== 'failed' && row.outcome !== 'unreadable';
}

/** Stored `failed` with the reason, retriable and visible; never over an applied row. */
export async function recordFailed(db: Kysely<Database>, e: JournalEvent, reason: string): Promise<void> {
  await db
    .insertInto('stripe_events')
    .values({
      id: e.id,
      type: e.type,
      created: e.created,
      livemode: e.livemode,
      outcome: 'failed',
      detail: reason,
      payload: e.payload,
      api_version: e.apiVersion,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ detail: reason, attempts: (eb) => eb('stripe_events.attempts', '+', 1) })
        .where('stripe_events.outcome', '=', 'failed'),
    )
    .execute();
}

/** A signed event we cannot read at all: kept as its signed text (a JSON string), answered 2xx. */
export async function recordUnreadable(
  db: Kysely<Database>,
  e: { id: string; type: string; created: number; raw: string },
  reason: string,
): Promise<void> {
  await db
    .insertInto('stripe_events')
    .values({
      id: e.id,
      type: e.type,
      created: e.created,
      livemode: false,
      outcome: 'unreadable',
      detail: reason,
      payload: JSON.stringify(e.raw),
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ attempts: (eb) => eb('stripe_events.attempts', '+', 1) })
        .where('stripe_events.outcome', '=', 'unreadable'),
    )
    .execute();
}
