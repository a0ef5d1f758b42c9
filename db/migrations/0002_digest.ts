import { type Kysely, sql } from 'kysely';

/**
 * Daily-digest sign-ups from the demo page. One row per address: the address is stored
 * lower-cased (a check constraint holds every writer to it) so the unique index is also
 * case-insensitive. consented_at records when the person ticked the consent box (GDPR art. 7(1):
 * the controller must be able to show that consent was given); the admin exports from here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('digest_subscribers')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('consented_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('source_ip', 'text')
    .addCheckConstraint('digest_subscribers_email_lower', sql`email = lower(email)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('digest_subscribers').execute();
}
