import { type Kysely, sql } from 'kysely';

/**
 * The admin audit trail: who changed which campaign, offline gift or admin account, when, and
 * from what to what. Rows are only ever inserted. admin_id survives the admin's deletion as NULL
 * so the history itself is never lost with the account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('admin_id', 'integer', (c) => c.references('admins.id').onDelete('set null'))
    .addColumn('action', 'text', (c) => c.notNull()) // e.g. campaign.update, offline_gift.create
    .addColumn('entity', 'text', (c) => c.notNull()) // campaign | gift | admin
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('admin_audit_log_entity').on('admin_audit_log').columns(['entity', 'entity_id', 'id']).execute();
  // Sessions are looked up by id (the primary key); expired ones are swept by admin_id.
  await db.schema.createIndex('admin_sessions_admin').on('admin_sessions').column('admin_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('admin_sessions_admin').ifExists().execute();
  await db.schema.dropTable('admin_audit_log').ifExists().execute();
}
