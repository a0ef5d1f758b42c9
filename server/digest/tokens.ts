import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

export type TokenPurpose = 'confirm' | 'unsubscribe';

/** How long a link in a mail works. Unsubscribe links must outlive the mails that carry them. */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = {
  confirm: 7 * 24 * 3_600_000,
  unsubscribe: 366 * 24 * 3_600_000,
};

/** 32 random bytes, base64url: the form every token in a link has (43 characters). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A single-purpose, expiring token for one subscriber. Only its SHA-256 is stored, so the token
 * table is no list of working links; a confirm token cannot unsubscribe and the reverse.
 */
export async function issueToken(
  trx: Transaction<Database> | Kysely<Database>,
  subscriberId: number,
  purpose: TokenPurpose,
  now: Date,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await trx
    .insertInto('digest_tokens')
    .values({
      token_hash: hash(token),
      subscriber_id: subscriberId,
      purpose,
      expires_at: new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]),
      created_at: now,
    })
    .execute();
  return token;
}

/** The token's row if it exists, has this purpose and has not expired (used or not), locked for update. */
export async function findToken(trx: Transaction<Database>, token: string, purpose: TokenPurpose, now: Date) {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return trx
    .selectFrom('digest_tokens')
    .selectAll()
    .where('token_hash', '=', hash(token))
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .forUpdate()
    .executeTakeFirst();
}

/** Read-only check for the GET pages (which must change nothing). */
export async function peekToken(db: Kysely<Database>, token: string, purpose: TokenPurpose, now: Date) {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return db
    .selectFrom('digest_tokens')
    .innerJoin('digest_subscribers', 'digest_subscribers.id', 'digest_tokens.subscriber_id')
    .select(['digest_tokens.used_at', 'digest_subscribers.status'])
    .where('token_hash', '=', hash(token))
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}
