import { type Kysely, sql } from 'kysely';

/**
 * Languages (SPEC §13, issue 14): campaign copy per language and the donor's language.
 *
 * campaign_translations: the headline and message the organisation wrote in one language, at most
 * one row per campaign and language (common/i18n.ts LOCALES); the campaign's own columns stay its
 * default (English) copy. Deleted with the campaign.
 *
 * gifts.locale and pledges.locale: the language the donor gave (or pledged) in, as the widget
 * said; null means the organisation's default, English. Donor-facing mails are written in it.
 */
const LOCALE_CHECK = sql`locale in ('en', 'es', 'fr', 'de', 'ar')`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaign_translations')
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('headline', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_translations_pk', ['campaign_id', 'locale'])
    .addCheckConstraint('campaign_translations_locale', LOCALE_CHECK)
    .execute();
  await db.schema
    .alterTable('gifts')
    .addColumn('locale', 'text', (c) => c.check(sql`locale is null or ${LOCALE_CHECK}`))
    .execute();
  await db.schema
    .alterTable('pledges')
    .addColumn('locale', 'text', (c) => c.check(sql`locale is null or ${LOCALE_CHECK}`))
    .execute();
  // A donor's mails not about one payment take the language of the address's latest gift.
  await db.schema
    .createIndex('gifts_email_lower')
    .on('gifts')
    .expression(sql`lower(email), created_at desc`)
    .where(sql.ref('email'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('gifts_email_lower').execute();
  await db.schema.alterTable('pledges').dropColumn('locale').execute();
  await db.schema.alterTable('gifts').dropColumn('locale').execute();
  await db.schema.dropTable('campaign_translations').execute();
}
