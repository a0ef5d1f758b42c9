import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The random key that signs one kind of stateless link (e.g. "statement"), made the first time
 * any instance needs it and read from the database after that, so every instance signs and checks
 * with the same key and a restart keeps the links already sent. One key per purpose: a token made
 * for one purpose never verifies for another.
 */
export async function signingKey(db: Db, purpose: string): Promise<Buffer> {
  const found = await db.selectFrom('signing_keys').select('key').where('purpose', '=', purpose).executeTakeFirst();
  if (found) return Buffer.from(found.key, 'base64url');
  await db
    .insertInto('signing_keys')
    .values({ purpose, key: randomBytes(32).toString('base64url'), created_at: new Date() })
    .onConflict((oc) => oc.column('purpose').doNothing())
    .execute();
  // Two instances making it at once: whichever insert landed is the key.
  const row = await db.selectFrom('signing_keys').select('key').where('purpose', '=', purpose).executeTakeFirstOrThrow();
  return Buffer.from(row.key, 'base64url');
}

export const hmac = (key: Buffer, message: string) => createHmac('sha256', key).update(message).digest();

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
