import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { SubscribeInput } from './schemas.js';

export interface SubscribeResult {
  created: boolean;
}

/**
 * Adds an address to the daily digest. A second sign-up of the same address (in any case) is
 * not an error and changes nothing: the first consent time stays the one on record, and the
 * answer does not reveal more than "you are on the list".
 */
export async function subscribe(
  db: Kysely<Database>,
  input: SubscribeInput,
  ctx: { now: Date; sourceIp: string | null },
): Promise<SubscribeResult> {
  const inserted = await db
    .insertInto('digest_subscribers')
    .values({ email: input.email.toLowerCase(), consented_at: ctx.now, created_at: ctx.now, source_ip: ctx.sourceIp })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning('id')
    .executeTakeFirst();
  return { created: inserted !== undefined };
}
