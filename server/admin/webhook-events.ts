import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { decodeCursor, encodeCursor } from './donations.js';

/**
 * Stripe events as the ledger stored them, for the admin: `failed` (could not be read or
 * applied; Stripe or reconciliation retries them), `unreadable` (signed but malformed),
 * `parked` (waiting for the gift of their subscription), `conflict` (metadata that disagreed
 * with Stripe's ids: followed nowhere, moved no money). Payloads stay in the database: they
 * hold donor e-mails.
 */
export const webhookEventsQuerySchema = z.strictObject({
  status: z.enum(['failed', 'unreadable', 'parked', 'conflict', 'processed', 'ignored']).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export async function listWebhookEvents(db: Kysely<Database>, q: z.infer<typeof webhookEventsQuerySchema>) {
  let query = db
    .selectFrom('stripe_events')
    .select(['id', 'type', 'created', 'api_version', 'outcome', 'detail', 'conflict', 'attempts', 'received_at']);
  if (q.status === 'conflict') query = query.where('conflict', 'is not', null);
  else if (q.status) query = query.where('outcome', '=', q.status);
  const c = decodeCursor(q.cursor);
  if (c && typeof c[0] === 'number' && Number.isSafeInteger(c[0]) && typeof c[1] === 'string' && /^\w{1,300}$/.test(c[1])) {
    const [created, id] = [c[0], c[1]];
    query = query.where((eb) => eb.or([eb('created', '<', created), eb.and([eb('created', '=', created), eb('id', '<', id)])]));
  }
  const rows = await query
    .orderBy('created', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page.at(-1);
  return {
    events: page.map((r) => ({
      id: r.id,
      type: r.type,
      created: new Date(r.created * 1000).toISOString(),
      apiVersion: r.api_version,
      status: r.outcome,
      reason: r.detail,
      conflict: r.conflict,
      attempts: r.attempts,
      receivedAt: r.received_at.toISOString(),
    })),
    nextCursor: more && last ? encodeCursor([last.created, last.id]) : null,
  };
}
