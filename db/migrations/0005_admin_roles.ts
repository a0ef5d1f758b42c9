import { type Kysely, sql } from 'kysely';

/**
 * Admin roles and account life cycle (SPEC §11):
 * - admins.role: owner | editor | viewer. Every admin that exists today could do everything, so
 *   each becomes an owner (the column default, which also keeps older scripts that insert an
 *   admin without a role working as before).
 * - admins.disabled_at: a disabled admin cannot sign in; the row and its history stay.
 * - admins.password_hash may be NULL: an invited admin has no usable password until they set
 *   their own through the invitation link.
 * - admins.device_key: the per-admin secret that signs "known device" cookies (sign-in limits);
 *   replaced on every password change, which revokes every device at once.
 * - admin_sessions.authenticated_at: when the password was last entered in this session;
 *   sensitive actions want it to be recent (re-authentication).
 * - admin_invitations: single-use, expiring invitation tokens, stored as SHA-256 hashes only.
 * - admin_audit_log.admin_email: who acted, kept even after that admin is removed (admin_id
 *   becomes NULL then, by the foreign key of 0003).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('admins')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('owner').check(sql`role in ('owner', 'editor', 'viewer')`))
    .execute();
  await db.schema.alterTable('admins').addColumn('disabled_at', 'timestamptz').execute();
  await db.schema.alterTable('admins').addColumn('device_key', 'text').execute();
  await db.schema
    .alterTable('admins')
    .alterColumn('password_hash', (c) => c.dropNotNull())
    .execute();

  await db.schema.alterTable('admin_sessions').addColumn('authenticated_at', 'timestamptz').execute();
  await sql`update admin_sessions set authenticated_at = created_at`.execute(db);
  await db.schema
    .alterTable('admin_sessions')
    .alterColumn('authenticated_at', (c) => c.setNotNull())
    .execute();
  await db.schema
    .alterTable('admin_sessions')
    .alterColumn('authenticated_at', (c) => c.setDefault(sql`now()`))
    .execute();

  await db.schema
    .createTable('admin_invitations')
    .addColumn('token_hash', 'text', (c) => c.primaryKey()) // sha256 of the token in the link
    .addColumn('admin_id', 'integer', (c) => c.notNull().references('admins.id').onDelete('cascade'))
    .addColumn('created_by', 'integer', (c) => c.references('admins.id').onDelete('set null'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('admin_invitations_admin').on('admin_invitations').column('admin_id').execute();

  await db.schema.alterTable('admin_audit_log').addColumn('admin_email', 'text').execute();
  await sql`update admin_audit_log l set admin_email = a.email from admins a where a.id = l.admin_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('admin_audit_log').dropColumn('admin_email').execute();
  await db.schema.dropTable('admin_invitations').ifExists().execute();
  await db.schema.alterTable('admin_sessions').dropColumn('authenticated_at').execute();
  // Invited admins without a password cannot survive the NOT NULL of before.
  await sql`delete from admins where password_hash is null`.execute(db);
  await db.schema
    .alterTable('admins')
    .alterColumn('password_hash', (c) => c.setNotNull())
    .execute();
  await db.schema.alterTable('admins').dropColumn('device_key').execute();
  await db.schema.alterTable('admins').dropColumn('disabled_at').execute();
  await db.schema.alterTable('admins').dropColumn('role').execute();
}
