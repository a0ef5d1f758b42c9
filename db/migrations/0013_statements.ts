import { type Kysely, sql } from 'kysely';

/**
 * Annual giving statements, admin password resets and donor erasure (SPEC §10, §11).
 *
 * signing_keys: one random key per purpose, made on first use (server/lib/signing-keys.ts). It
 * signs links that must work without a stored row (a statement link in a mail or on the manage
 * page); every instance reads the same key, and a restart keeps the links that were sent.
 *
 * statement_runs: the owner's "send last year's statements" job, one per year. The cursor (the
 * last donor key handled, in order) and the throttle's clock (last_at) are committed with the
 * mails each step queues, so a restarted or second instance resumes exactly where it stopped;
 * the mails' fact keys (statement:<year>:<email>) make a second queueing a no-op anyway.
 *
 * admin_password_resets: single-use, expiring reset links; only the SHA-256 of the token is kept.
 *
 * donor_erasures: what an erasure did, without the address it erased (the audit log names the
 * owner and the pseudonym; nothing keeps the e-mail).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('purpose', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('statement_runs')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('year', 'integer', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('per_minute', 'integer', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('last_at', 'timestamptz', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('donors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addCheckConstraint('statement_runs_status', sql`status in ('running', 'paused', 'done')`)
    .addCheckConstraint('statement_runs_rate', sql`per_minute between 1 and 10000`)
    .execute();

  await db.schema
    .createTable('admin_password_resets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('admin_id', 'integer', (c) => c.notNull().references('admins.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_password_resets_admin').on('admin_password_resets').column('admin_id').execute();

  await db.schema
    .createTable('donor_erasures')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('pseudonym', 'text', (c) => c.notNull().unique())
    .addColumn('admin_id', 'integer')
    .addColumn('counts', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('donor_erasures').execute();
  await db.schema.dropTable('admin_password_resets').execute();
  await db.schema.dropTable('statement_runs').execute();
  await db.schema.dropTable('signing_keys').execute();
}
