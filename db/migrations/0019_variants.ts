import { type Kysely, sql } from 'kysely';

/**
 * Copy variants and the funnel (SPEC §13 "Variants", "Funnel"; issue 14).
 *
 * campaign_variants: copy a campaign tests against its control (headline, message, button text;
 * null fields fall back to the campaign's copy), shown only to readers of `locale` when set.
 * `public_id` is what the widget and the beacons name; `weight` is its share of the readers;
 * a stopped variant is no longer shown but keeps its figures.
 *
 * funnel_daily: aggregated counters, one row per campaign, day, variant and embedding origin
 * (never a row per impression). No personal data: no address, no cookie id, no URL beyond
 * scheme://host[:port]. `day` is the calendar day in the organisation's time zone (settings),
 * like the dashboard's money chart. `variant_id` 0 means "no variant" and `origin` '' means our
 * own pages or no embedding origin (direct), so the key has no NULLs and one upsert per batch.
 * Only the counters the widget and the checkout make live here; "paid" is read from the ledger's
 * own tables (gifts + their first payment), so the ledger stays the only writer of money
 * (STYLE 13) and a redelivered webhook can never count a gift twice.
 *
 * gifts: the variant and embedding origin a gift came from (null for gifts made before this
 * migration, offline gifts and pledge links: not part of the funnel).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaign_variants')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('headline', 'text')
    .addColumn('message', 'text')
    .addColumn('button', 'text')
    .addColumn('locale', 'text')
    .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('control', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('stopped_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('campaign_variants_status', sql`status in ('active', 'stopped')`)
    .addCheckConstraint('campaign_variants_weight', sql`weight between 0 and 1000`)
    .addCheckConstraint('campaign_variants_locale', sql`locale is null or locale in ('en', 'es', 'fr', 'de', 'ar')`)
    .execute();
  await db.schema.createIndex('campaign_variants_campaign').on('campaign_variants').columns(['campaign_id', 'id']).execute();
  // At most one control per campaign.
  await db.schema
    .createIndex('campaign_variants_one_control')
    .on('campaign_variants')
    .column('campaign_id')
    .unique()
    .where(sql.ref('control'), '=', true)
    .execute();

  await db.schema
    .createTable('funnel_daily')
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('variant_id', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('impressions', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('opens', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('checkouts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('funnel_daily_pk', ['campaign_id', 'day', 'variant_id', 'origin'])
    .addCheckConstraint('funnel_daily_origin', sql`length(origin) <= 300`)
    .execute();

  await db.schema.alterTable('gifts').addColumn('variant_id', 'integer').execute();
  await db.schema.alterTable('gifts').addColumn('funnel_origin', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('gifts').dropColumn('funnel_origin').execute();
  await db.schema.alterTable('gifts').dropColumn('variant_id').execute();
  await db.schema.dropTable('funnel_daily').execute();
  await db.schema.dropTable('campaign_variants').execute();
}
