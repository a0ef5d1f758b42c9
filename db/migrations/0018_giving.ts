import { type Kysely, sql } from 'kysely';

/**
 * When payments are down, after the goal, after the end (SPEC §13, issue 13).
 *
 * payments_breaker: one row (id = 1) shared by every instance, made by the first write (a
 * database that has only run its migrations holds no rows: `npm run import` needs that); until
 * then the defaults below are the state. `open` says whether the app takes
 * gifts online; `reason` why it opened (connection, stripe_5xx, charges_disabled, auth); the
 * owner's pledge mode holds it open whatever Stripe says. `next_probe_at` is claimed by one
 * instance at a time (UPDATE ... WHERE next_probe_at <= now), so N instances probe Stripe once
 * per interval, not N times. It also holds the organisation's "other ways to give" text and how
 * long an unconverted pledge is kept.
 *
 * payments_breaker_log: the history the admin shows (opened, closed, pledge mode on/off).
 *
 * pledges: a promise to give, taken while the breaker is open. Never money: the ledger's tables
 * are untouched and no total reads this table. Deleted at delete_after unless it became a gift
 * (gifts.pledge_id ties the Checkout made from its e-mail back to it). Only the SHA-256 of the
 * link token is kept.
 *
 * card_testing: per campaign, when the CAPTCHA is required until; admin_alerts: what a tripped
 * velocity limit (without a CAPTCHA) tells the admin.
 *
 * campaigns gain stretch goals (the goals after `goal`, ascending) and a follow-on campaign.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('campaigns')
    .addColumn('stretch_goals', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema
    .alterTable('campaigns')
    .addColumn('follow_on_id', 'integer', (c) => c.references('campaigns.id').onDelete('set null'))
    .execute();

  await db.schema
    .createTable('payments_breaker')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('open', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('reason', 'text')
    .addColumn('detail', 'text')
    .addColumn('pledge_mode', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('changed_at', 'timestamptz')
    .addColumn('next_probe_at', 'timestamptz')
    .addColumn('last_probe_at', 'timestamptz')
    .addColumn('last_probe_ok', 'boolean')
    .addColumn('last_probe_error', 'text')
    .addColumn('other_ways', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('pledge_retention_days', 'integer', (c) => c.notNull().defaultTo(90))
    .addCheckConstraint('payments_breaker_one_row', sql`id = 1`)
    .addCheckConstraint('payments_breaker_retention', sql`pledge_retention_days between 1 and 730`)
    .execute();

  await db.schema
    .createTable('payments_breaker_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('detail', 'text')
    .addColumn('admin_id', 'integer')
    .addCheckConstraint('payments_breaker_log_event', sql`event in ('opened', 'closed', 'pledge_mode_on', 'pledge_mode_off')`)
    .execute();

  await db.schema
    .createTable('pledges')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('frequency', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('consent_text', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('token_hash', 'text', (c) => c.unique())
    .addColumn('invited_at', 'timestamptz')
    .addColumn('delete_after', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('pledges_status', sql`status in ('open', 'invited', 'withdrawn')`)
    .addCheckConstraint('pledges_frequency', sql`frequency in ('once', 'monthly')`)
    .addCheckConstraint('pledges_amount', sql`amount > 0`)
    .execute();
  await db.schema.createIndex('pledges_campaign').on('pledges').columns(['campaign_id', 'created_at']).execute();
  await db.schema.createIndex('pledges_delete_after').on('pledges').column('delete_after').execute();

  await db.schema.alterTable('gifts').addColumn('pledge_id', 'uuid').execute();
  await db.schema.createIndex('gifts_pledge').on('gifts').column('pledge_id').where(sql.ref('pledge_id'), 'is not', null).execute();

  await db.schema
    .createTable('card_testing')
    .addColumn('campaign_id', 'integer', (c) => c.primaryKey().references('campaigns.id').onDelete('cascade'))
    .addColumn('captcha_until', 'timestamptz')
    .addColumn('tripped_at', 'timestamptz')
    .addColumn('trips', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('admin_alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'integer', (c) => c.references('campaigns.id').onDelete('cascade'))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_alerts_created').on('admin_alerts').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_alerts').execute();
  await db.schema.dropTable('card_testing').execute();
  await db.schema.alterTable('gifts').dropColumn('pledge_id').execute();
  await db.schema.dropTable('pledges').execute();
  await db.schema.dropTable('payments_breaker_log').execute();
  await db.schema.dropTable('payments_breaker').execute();
  await db.schema.alterTable('campaigns').dropColumn('follow_on_id').execute();
  await db.schema.alterTable('campaigns').dropColumn('stretch_goals').execute();
}
