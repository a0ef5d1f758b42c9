import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { donorKey } from '../ledger/ledger.js';
import { hmac, sameBytes, signingKey } from '../lib/signing-keys.js';
import { normaliseEmail, yearBounds } from './service.js';

type Db = Kysely<Database> | Transaction<Database>;

/** How long a statement link in a mail works unless the caller says otherwise. */
export const STATEMENT_LINK_TTL_MS = 90 * 24 * 3600 * 1000;

/**
 * Statement links are signed, not stored: `s1.<year>.<expires, unix s>.<donor tag>.<mac>`. The
 * donor tag is a keyed hash of the e-mail, so the link (in a mail, a browser history, a proxy
 * log) does not carry the address, and an erased donor's old links match no one. The mac covers
 * everything before it with the "statement" key: a link cannot be made for another year,
 * another donor or a later expiry. Single-purpose: the key signs nothing else.
 */
const PURPOSE = 'statement';

const tagOf = (key: Buffer, email: string) =>
  hmac(key, `donor:${normaliseEmail(email)}`)
    .subarray(0, 16)
    .toString('base64url');
const macOf = (key: Buffer, body: string) => hmac(key, body).toString('base64url');

export async function statementToken(db: Db, input: { email: string; year: number; expiresAt: Date }): Promise<string> {
  const key = await signingKey(db, PURPOSE);
  const body = `s1.${input.year}.${Math.floor(input.expiresAt.getTime() / 1000)}.${tagOf(key, input.email)}`;
  return `${body}.${macOf(key, body)}`;
}

/**
 * The link to a donor's statement PDF for one year, for mails and the monthly donor's manage page.
 * It works until expiresAt (default 90 days from now).
 */
export async function statementLink(
  db: Db,
  config: Pick<Config, 'publicUrl'>,
  input: { email: string; year: number; now: Date; expiresAt?: Date },
): Promise<string> {
  const expiresAt = input.expiresAt ?? new Date(input.now.getTime() + STATEMENT_LINK_TTL_MS);
  return `${config.publicUrl}/statements/${await statementToken(db, { email: input.email, year: input.year, expiresAt })}`;
}

export type TokenCheck = { ok: true; year: number; email: string } | { ok: false; reason: 'invalid' | 'expired' | 'unknown' };

const TOKEN = /^s1\.(\d{4})\.(\d{1,12})\.([\w-]{22})\.([\w-]{43})$/;

/**
 * The donor and year a link names, if its signature holds and it has not expired. The donor is
 * found among the year's donor keys by the tag (a keyed hash cannot be looked up directly); a
 * year has at most a few thousand donors, and a download is rare.
 */
export async function checkStatementToken(db: Db, timeZone: string, token: string, now: Date): Promise<TokenCheck> {
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const key = await signingKey(db, PURPOSE);
  const body = token.slice(0, token.lastIndexOf('.'));
  if (!sameBytes(Buffer.from(m[4]!, 'base64url'), Buffer.from(macOf(key, body), 'base64url'))) return { ok: false, reason: 'invalid' };
  if (Number(m[2]) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  const year = Number(m[1]);
  const { start, end } = yearBounds(year, timeZone);
  const keys = await db
    .selectFrom('payments')
    .where('paid_at', '>=', start)
    .where('paid_at', '<', end)
    .where('donor_key', 'like', 'email:%')
    .select('donor_key')
    .distinct()
    .execute();
  const want = Buffer.from(m[3]!, 'base64url');
  for (const k of keys) {
    const email = k.donor_key.slice('email:'.length);
    if (donorKey(email, '') === k.donor_key && sameBytes(Buffer.from(tagOf(key, email), 'base64url'), want))
      return { ok: true, year, email };
  }
  return { ok: false, reason: 'unknown' };
}
