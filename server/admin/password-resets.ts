import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError } from '../errors.js';
import { queueMail } from '../mail/queue.js';
import { audit } from './audit.js';
import { endAllSessions } from './auth.js';
import { hashPassword } from './passwords.js';

/**
 * Password resets by e-mailed link (SPEC §10, §11). A request never says whether the address is
 * an admin's: the caller answers the same either way. Only an active admin who has a password gets
 * a mail (an invited one uses the invitation; a disabled one cannot sign in anyway). The link is
 * single-use and short-lived, only its SHA-256 is stored, and a newer request replaces it.
 */
export const RESET_TTL_MS = 60 * 60 * 1000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function requestPasswordReset(db: Kysely<Database>, email: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const admin = await trx
      .selectFrom('admins')
      .where('email', '=', email)
      .where('disabled_at', 'is', null)
      .where('password_hash', 'is not', null)
      .select(['id', 'email'])
      .forUpdate()
      .executeTakeFirst();
    if (!admin) return;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + RESET_TTL_MS);
    await trx.deleteFrom('admin_password_resets').where('admin_id', '=', admin.id).execute();
    await trx
      .insertInto('admin_password_resets')
      .values({ token_hash: sha256(token), admin_id: admin.id, expires_at: expiresAt, created_at: now })
      .execute();
    await queueMail(trx, {
      kind: 'admin.password_reset',
      to: admin.email,
      factKey: `admin.password_reset:${admin.id}:${sha256(token).slice(0, 24)}`,
      data: { token, expiresAt: expiresAt.toISOString() },
      at: now,
    });
    await audit(trx, { adminId: null, action: 'admin.password_reset_requested', entity: 'admin', entityId: admin.id, at: now });
  });
}

export const resetInvalid = () =>
  new AppError(
    'reset_invalid',
    404,
    'This password reset link is not valid: it was used already, has expired or was replaced. Ask for a new one.',
  );

export async function findPasswordReset(
  db: Kysely<Database>,
  token: string,
  now: Date,
): Promise<{ adminId: number; email: string; expiresAt: Date } | null> {
  const row = await db
    .selectFrom('admin_password_resets as r')
    .innerJoin('admins as a', 'a.id', 'r.admin_id')
    .where('r.token_hash', '=', sha256(token))
    .where('r.expires_at', '>', now)
    .where('a.disabled_at', 'is', null)
    .select(['a.id', 'a.email', 'r.expires_at'])
    .executeTakeFirst();
  return row ? { adminId: row.id, email: row.email, expiresAt: row.expires_at } : null;
}

/**
 * Sets the new password and uses the link up, in one transaction: a second use of the same
 * link finds nothing. Everyone signed in as this admin is signed out and its remembered devices
 * are forgotten (whoever knew the old password loses access).
 */
export async function completePasswordReset(
  db: Kysely<Database>,
  token: string,
  password: string,
  now: Date,
): Promise<{ adminId: number; email: string }> {
  const password_hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const used = await trx
      .deleteFrom('admin_password_resets')
      .where('token_hash', '=', sha256(token))
      .where('expires_at', '>', now)
      .returning('admin_id')
      .executeTakeFirst();
    if (!used) throw resetInvalid();
    const admin = await trx
      .updateTable('admins')
      .set({ password_hash, device_key: null })
      .where('id', '=', used.admin_id)
      .where('disabled_at', 'is', null)
      .returning(['id', 'email'])
      .executeTakeFirst();
    if (!admin) throw resetInvalid();
    await trx.deleteFrom('admin_password_resets').where('admin_id', '=', admin.id).execute();
    await endAllSessions(trx, admin.id);
    await audit(trx, { adminId: admin.id, action: 'admin.password_reset', entity: 'admin', entityId: admin.id, at: now });
    return { adminId: admin.id, email: admin.email };
  });
}
