import { type Kysely, sql } from 'kysely';

/**
 * Monthly donors' self-service (SPEC §10).
 *
 * app_secrets: server-side secrets the app makes for itself when configuration gives none. The
 * manage links in e-mails are signed with `link_signing` (LINK_SECRET wins when set): it is made
 * once, shared by every instance through the database, and survives restarts, so a link in last
 * month's receipt still opens.
 *
 * gifts gains what a monthly gift's subscription currently says, recorded by the ledger from
 * customer.subscription.* events like any other fact: the amount charged each period (a donor may
 * change it), and the cancellation details (Stripe's feedback code and the donor's comment).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('app_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable('gifts')
    .addColumn('subscription_amount', 'bigint')
    .addColumn('cancel_feedback', 'text')
    .addColumn('cancel_comment', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('gifts')
    .dropColumn('subscription_amount')
    .dropColumn('cancel_feedback')
    .dropColumn('cancel_comment')
    .execute();
  await db.schema.dropTable('app_secrets').execute();
}
