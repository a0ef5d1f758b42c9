import { type Kysely, sql } from 'kysely';

/**
 * The organisation's own settings, one row (SPEC §3, §5): name, address, tax id (receipts) and
 * the IANA time zone in which campaign dates are entered and calendar days are counted. A NULL
 * column means "not set here": the ORG_* environment default applies.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organisation')
    .addColumn('id', 'integer', (c) => c.primaryKey().defaultTo(1).check(sql`id = 1`))
    .addColumn('name', 'text')
    .addColumn('address', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('tax_id', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('organisation').execute();
}
