import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';

/**
 * Signed, expiring, single-purpose links for monthly donors (SPEC §10: "no account"). A token is
 * `<purpose>.<gift id>.<expiry, unix seconds>.<HMAC-SHA256>`: the server keeps no list of links,
 * a changed character breaks the signature, and a token made for one purpose (managing a gift)
 * is refused for any other (say, a statement download), because the purpose is signed with it.
 * The gift id is a random UUID: knowing a gift id alone gives nothing without the signature.
 */
export type LinkPurpose = 'manage';

/** A manage link in a receipt must outlive the month until the next receipt brings a fresh one. */
export const LINK_LIFETIME_S: Record<LinkPurpose, number> = { manage: 62 * 86_400 };

const PURPOSES: readonly LinkPurpose[] = ['manage'];
const SHAPE = /^([a-z]{1,20})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
/** What a token may look like before it is even checked (forms and query strings). */
export const LINK_TOKEN_PATTERN = /^[a-z]{1,20}\.[0-9a-f-]{36}\.\d{1,12}\.[A-Za-z0-9_-]{43}$/;

export type Verified = { ok: true; giftId: string; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' };

export class LinkSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly publicUrl: string,
  ) {}

  private mac(payload: string): string {
    // Domain-separated, so the same key can never sign something that reads as another token kind.
    return createHmac('sha256', this.secret).update(`groundswell-link-v1\n${payload}`).digest('base64url');
  }

  sign(purpose: LinkPurpose, giftId: string, now: Date, lifetimeS = LINK_LIFETIME_S[purpose]): string {
    const payload = `${purpose}.${giftId.toLowerCase()}.${Math.floor(now.getTime() / 1000) + lifetimeS}`;
    return `${payload}.${this.mac(payload)}`;
  }

  verify(token: string | null | undefined, purpose: LinkPurpose, now: Date): Verified {
    const m = typeof token === 'string' ? SHAPE.exec(token) : null;
    if (!m) return { ok: false, reason: 'invalid' };
    const [, p, giftId, exp, sig] = m as unknown as [string, string, string, string, string];
    const expected = Buffer.from(this.mac(`${p}.${giftId}.${exp}`));
    const sent = Buffer.from(sig);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return { ok: false, reason: 'invalid' };
    // Checked after the signature: a forged token learns nothing, not even "expired".
    if (p !== purpose || !PURPOSES.includes(p as LinkPurpose)) return { ok: false, reason: 'invalid' };
    const expiresAt = new Date(Number(exp) * 1000);
    if (now >= expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, giftId, expiresAt };
  }

  /** The page a manage link opens (GET shows it; every action on it is a POST). */
  manageUrl(giftId: string, now: Date): string {
    return `${this.publicUrl}/manage?token=${encodeURIComponent(this.sign('manage', giftId, now))}`;
  }
}

const signers = new WeakMap<object, Map<string, Promise<LinkSigner>>>();

/**
 * The signer for this database and configuration: LINK_SECRET when set, else the secret kept in
 * app_secrets (made by whichever instance needs it first; the others read the same row).
 */
export function linkSigner(db: Kysely<Database>, config: Pick<Config, 'linkSecret' | 'publicUrl'>): Promise<LinkSigner> {
  const key = `${config.publicUrl}\n${config.linkSecret ?? ''}`;
  let forDb = signers.get(db);
  if (!forDb) signers.set(db, (forDb = new Map()));
  const cached = forDb.get(key);
  if (cached) return cached;
  const made = (async () => {
    if (config.linkSecret) return new LinkSigner(Buffer.from(config.linkSecret, 'utf8'), config.publicUrl);
    await db
      .insertInto('app_secrets')
      .values({ name: 'link_signing', value: randomBytes(32).toString('base64url') })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await db.selectFrom('app_secrets').select('value').where('name', '=', 'link_signing').executeTakeFirstOrThrow();
    return new LinkSigner(Buffer.from(row.value, 'base64url'), config.publicUrl);
  })();
  made.catch(() => forDb.delete(key));
  forDb.set(key, made);
  return made;
}

/**
 * The manage link of a monthly gift, for mails (receipts, failed payments, expiring cards) and
 * /thanks. Receipts call this when they queue a receipt of a monthly gift and put the URL in the
 * mail's data (`manageUrl`).
 *
 * Inside a transaction, get the signer first (`const s = await linkSigner(db, config)` before
 * opening it) and call `s.manageUrl(giftId, now)` inside: the first call may read app_secrets
 * through `db`, which on single-connection PGlite would wait for the open transaction forever.
 */
export async function manageLinkFor(
  deps: { db: Kysely<Database>; config: Pick<Config, 'linkSecret' | 'publicUrl'> },
  giftId: string,
  now: Date,
): Promise<string> {
  return (await linkSigner(deps.db, deps.config)).manageUrl(giftId, now);
}
