import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { AdminRole, Database } from '../../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { queueMail } from '../mail/queue.js';
import { audit } from './audit.js';
import { endAllSessions } from './auth.js';
import { hashPassword } from './passwords.js';

/**
 * Admin accounts (SPEC §11): invitations, roles, disable/enable/remove and the last-owner rule.
 * Used by the API (routes/admins.ts, routes/invitations.ts) and the CLI (cli.ts), so both obey
 * the same rules and write the same audit rows. `actorId` is the owner acting, or null for the
 * CLI (a shell on the server).
 */

type Db = Kysely<Database> | Transaction<Database>;

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export type AdminStatus = 'active' | 'invited' | 'disabled';

export interface AdminAccount {
  id: number;
  email: string;
  role: AdminRole;
  status: AdminStatus;
  createdAt: string;
  /** When the pending invitation link stops working (status "invited"). */
  invitationExpiresAt: string | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function listAdmins(db: Db): Promise<AdminAccount[]> {
  const rows = await db
    .selectFrom('admins as a')
    .select((eb) => [
      'a.id',
      'a.email',
      'a.role',
      'a.disabled_at',
      'a.created_at',
      eb('a.password_hash', 'is', null).as('pending'),
      eb
        .selectFrom('admin_invitations as i')
        .whereRef('i.admin_id', '=', 'a.id')
        .select((e) => e.fn.max('i.expires_at').as('x'))
        .as('invitation_expires_at'),
    ])
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    status: r.disabled_at ? 'disabled' : r.pending ? 'invited' : 'active',
    createdAt: r.created_at.toISOString(),
    invitationExpiresAt: r.pending && r.invitation_expires_at ? new Date(r.invitation_expires_at).toISOString() : null,
  }));
}

async function getAccount(db: Db, id: number): Promise<AdminAccount> {
  const found = (await listAdmins(db)).find((a) => a.id === id);
  if (!found) throw notFound('Admin');
  return found;
}

/**
 * Serialises every change that could leave no owner (two owners demoting each other at once
 * would otherwise both succeed), then refuses if `targetId` is the last active owner. Active:
 * an owner who is not disabled and has a password (an unaccepted invitation cannot sign in).
 */
const ownersLock = (trx: Transaction<Database>) =>
  sql`select pg_advisory_xact_lock(hashtextextended('groundswell:admin-owners', 0))`.execute(trx);

async function guardLastOwner(trx: Transaction<Database>, targetId: number, what: string): Promise<void> {
  await ownersLock(trx);
  const owners = await trx
    .selectFrom('admins')
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .where('password_hash', 'is not', null)
    .select('id')
    .execute();
  if (owners.some((o) => o.id === targetId) && owners.length === 1) {
    throw new AppError('last_owner', 409, `The last active owner cannot be ${what}: make another admin an owner first.`);
  }
}

async function lockAdmin(trx: Transaction<Database>, id: number) {
  // The owners' lock comes first, before any admin row: two owners demoting each other would
  // otherwise each hold the other's row (FOR UPDATE) while their audit rows wait for a key-share
  // lock on it, and PostgreSQL would abort one with a deadlock (a 500). Re-entrant, so
  // guardLastOwner taking it again costs nothing.
  await ownersLock(trx);
  const row = await trx
    .selectFrom('admins')
    .where('id', '=', id)
    .select(['id', 'email', 'role', 'disabled_at', 'password_hash'])
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('Admin');
  return row;
}

/**
 * A new single-use link for the admin; earlier links of theirs stop working. The link is mailed
 * to the invited address in the same transaction (the outbox sends it), and also returned once
 * to whoever invited (the API's inviting owner, the CLI's operator) in case the mail goes astray.
 */
async function issueInvitation(
  trx: Transaction<Database>,
  admin: { id: number; email: string; role: AdminRole },
  actorId: number | null,
  now: Date,
) {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  await trx.deleteFrom('admin_invitations').where('admin_id', '=', admin.id).execute();
  await trx
    .insertInto('admin_invitations')
    .values({ token_hash: sha256(token), admin_id: admin.id, created_by: actorId, expires_at: expiresAt, created_at: now })
    .execute();
  const inviter =
    actorId === null ? undefined : await trx.selectFrom('admins').where('id', '=', actorId).select('email').executeTakeFirst();
  await queueMail(trx, {
    kind: 'admin.invitation',
    to: admin.email,
    factKey: `admin.invitation:${admin.id}:${sha256(token).slice(0, 24)}`,
    data: { token, role: admin.role, invitedBy: inviter?.email ?? null, expiresAt: expiresAt.toISOString() },
    at: now,
  });
  return { token, expiresAt };
}

export interface Invitation {
  admin: AdminAccount;
  /** The secret part of the link: returned once, stored only as a hash. */
  token: string;
  expiresAt: Date;
}

/** Creates an admin with no usable password and an invitation link to set one. */
export async function inviteAdmin(
  db: Kysely<Database>,
  input: { email: string; role: AdminRole },
  actorId: number | null,
  now: Date,
): Promise<Invitation> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('admins')
      .values({ email: input.email, role: input.role, password_hash: null, created_at: now })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) throw new AppError('admin_exists', 409, `An admin with e-mail ${input.email} already exists`, 'email');
    const { token, expiresAt } = await issueInvitation(trx, { id: row.id, email: input.email, role: input.role }, actorId, now);
    await audit(trx, {
      adminId: actorId,
      action: 'admin.invite',
      entity: 'admin',
      entityId: row.id,
      after: { email: input.email, role: input.role },
      at: now,
    });
    return { admin: await getAccount(trx, row.id), token, expiresAt };
  });
}

/** A fresh link for an admin who has not set a password yet (the first was lost or expired). */
export async function renewInvitation(db: Kysely<Database>, id: number, actorId: number | null, now: Date): Promise<Invitation> {
  return db.transaction().execute(async (trx) => {
    const admin = await lockAdmin(trx, id);
    if (admin.password_hash !== null) {
      throw new AppError('already_accepted', 409, `${admin.email} has already set a password; they can change it themselves.`);
    }
    const { token, expiresAt } = await issueInvitation(trx, { id, email: admin.email, role: admin.role }, actorId, now);
    await audit(trx, {
      adminId: actorId,
      action: 'admin.invite_renew',
      entity: 'admin',
      entityId: id,
      after: { email: admin.email },
      at: now,
    });
    return { admin: await getAccount(trx, id), token, expiresAt };
  });
}

export async function changeRole(
  db: Kysely<Database>,
  id: number,
  role: AdminRole,
  actorId: number | null,
  now: Date,
): Promise<AdminAccount> {
  return db.transaction().execute(async (trx) => {
    const admin = await lockAdmin(trx, id);
    if (admin.role === role) return getAccount(trx, id);
    if (role !== 'owner') await guardLastOwner(trx, id, 'made an editor or viewer');
    await trx.updateTable('admins').set({ role }).where('id', '=', id).execute();
    await audit(trx, {
      adminId: actorId,
      action: 'admin.role',
      entity: 'admin',
      entityId: id,
      before: { role: admin.role },
      after: { role },
      at: now,
    });
    return getAccount(trx, id);
  });
}

/** Disabled: cannot sign in, every session ends now; the account and its history stay. */
export async function disableAdmin(db: Kysely<Database>, id: number, actorId: number | null, now: Date): Promise<AdminAccount> {
  return db.transaction().execute(async (trx) => {
    const admin = await lockAdmin(trx, id);
    if (admin.disabled_at) return getAccount(trx, id);
    await guardLastOwner(trx, id, 'disabled');
    await trx.updateTable('admins').set({ disabled_at: now }).where('id', '=', id).execute();
    await endAllSessions(trx, id);
    await audit(trx, { adminId: actorId, action: 'admin.disable', entity: 'admin', entityId: id, after: { email: admin.email }, at: now });
    return getAccount(trx, id);
  });
}

export async function enableAdmin(db: Kysely<Database>, id: number, actorId: number | null, now: Date): Promise<AdminAccount> {
  return db.transaction().execute(async (trx) => {
    const admin = await lockAdmin(trx, id);
    if (!admin.disabled_at) return getAccount(trx, id);
    await trx.updateTable('admins').set({ disabled_at: null }).where('id', '=', id).execute();
    await audit(trx, { adminId: actorId, action: 'admin.enable', entity: 'admin', entityId: id, after: { email: admin.email }, at: now });
    return getAccount(trx, id);
  });
}

/** Removed: the account, its sessions and invitations are deleted; audit rows keep its e-mail. */
export async function removeAdmin(db: Kysely<Database>, id: number, actorId: number | null, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const admin = await lockAdmin(trx, id);
    await guardLastOwner(trx, id, 'removed');
    // The audit row first: it records the actor's e-mail while the actor (maybe this very admin) still exists.
    await audit(trx, {
      adminId: actorId,
      action: 'admin.remove',
      entity: 'admin',
      entityId: id,
      before: { email: admin.email, role: admin.role },
      at: now,
    });
    await endAllSessions(trx, id);
    await trx.deleteFrom('admins').where('id', '=', id).execute();
  });
}

/** The invitation behind a link, if it is still good: for the page that asks for a password. */
export async function findInvitation(
  db: Db,
  token: string,
  now: Date,
): Promise<{ adminId: number; email: string; expiresAt: Date } | null> {
  const row = await db
    .selectFrom('admin_invitations as i')
    .innerJoin('admins as a', 'a.id', 'i.admin_id')
    .where('i.token_hash', '=', sha256(token))
    .where('i.expires_at', '>', now)
    .where('a.disabled_at', 'is', null)
    .where('a.password_hash', 'is', null)
    .select(['a.id', 'a.email', 'i.expires_at'])
    .executeTakeFirst();
  return row ? { adminId: row.id, email: row.email, expiresAt: row.expires_at } : null;
}

export const invitationInvalid = () =>
  new AppError(
    'invitation_invalid',
    404,
    'This invitation link is not valid: it was used already, has expired or was replaced. Ask an owner for a new one.',
  );

/** Sets the invited admin's own password; the link is used up in the same transaction. */
export async function acceptInvitation(
  db: Kysely<Database>,
  token: string,
  password: string,
  now: Date,
): Promise<{ adminId: number; email: string }> {
  // Hash first (slow on purpose), outside the transaction that locks the row.
  const password_hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const found = await findInvitation(trx, token, now);
    if (!found) throw invitationInvalid();
    await lockAdmin(trx, found.adminId);
    const used = await trx.deleteFrom('admin_invitations').where('token_hash', '=', sha256(token)).returning('admin_id').executeTakeFirst();
    if (!used) throw invitationInvalid(); // a parallel request used it first
    await trx.deleteFrom('admin_invitations').where('admin_id', '=', found.adminId).execute();
    await trx.updateTable('admins').set({ password_hash, device_key: null }).where('id', '=', found.adminId).execute();
    await audit(trx, {
      adminId: found.adminId,
      action: 'admin.password_set',
      entity: 'admin',
      entityId: found.adminId,
      after: { via: 'invitation' },
      at: now,
    });
    return found;
  });
}
