import { type Kysely, sql } from 'kysely';

/**
 * Frequency capping (SPEC §13, issue 14): at most `frequency_impressions` banner views per reader
 * per `frequency_days`, counted by the widget in the host page's storage. Both null: uncapped.
 * Both or neither, within the bounds the admin form offers (server/campaigns/schemas.ts), so a
 * row written by any path reads the same in the public progress.
 *
 * Pace (the projection at endsAt) needs no column: it reads the ledger's payments per day through
 * payments_campaign_paid (campaign_id, paid_at), which 0001 already made.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').addColumn('frequency_impressions', 'integer').execute();
  await db.schema.alterTable('campaigns').addColumn('frequency_days', 'integer').execute();
  await db.schema
    .alterTable('campaigns')
    .addCheckConstraint(
      'campaigns_frequency',
      // Spelled without a NULL-yielding branch: a CHECK passes on NULL, so "3 and null" must be false.
      sql`(frequency_impressions is null) = (frequency_days is null) and
          (frequency_impressions is null or (frequency_impressions between 1 and 1000 and frequency_days between 1 and 365))`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').dropConstraint('campaigns_frequency').execute();
  await db.schema.alterTable('campaigns').dropColumn('frequency_days').execute();
  await db.schema.alterTable('campaigns').dropColumn('frequency_impressions').execute();
}
