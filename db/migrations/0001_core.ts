import { type Kysely, sql } from 'kysely';

/**
 * The money core. Every amount is bigint minor units beside its currency.
 * - campaigns + campaign_totals: the maintained aggregate read by the progress endpoint.
 * - gifts: one row per donation attempt (created at checkout, before Stripe knows it).
 * - payments: one row per counted money-in (one-time payment, each paid invoice, offline entry),
 *   keyed by Stripe's own id so that a duplicate event can never insert it twice.
 * - stripe_charge_refunds / stripe_disputes / stripe_invoice_payments: facts learnt from events,
 *   keyed by Stripe ids, that may arrive before the payment they belong to.
 * - stripe_events: every event received (id unique).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('headline', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('goal', 'bigint', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('presets', 'jsonb', (c) => c.notNull())
    // Processing fee for cover-the-fees: a rate in parts per million (29000 = 2.9 %) and a fixed fee.
    .addColumn('fee_rate_ppm', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fee_fixed', 'bigint', (c) => c.notNull().defaultTo(0))
    // Matching: matched = min(floor(raised * ratio), cap); ratio in parts per million.
    .addColumn('match_ratio_ppm', 'integer')
    .addColumn('match_cap', 'bigint')
    .addColumn('archived_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('campaigns_goal_positive', sql`goal > 0`)
    .addCheckConstraint('campaigns_window', sql`ends_at > starts_at`)
    .execute();

  await db.schema
    .createTable('campaign_totals')
    .addColumn('campaign_id', 'integer', (c) => c.primaryKey().references('campaigns.id').onDelete('cascade'))
    .addColumn('raised', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('donations', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('donors', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('refunded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('disputed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // How many counted payments each donor has in a campaign: `donors` moves only when this crosses 0.
  await db.schema
    .createTable('campaign_donors')
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('donor_key', 'text', (c) => c.notNull())
    .addColumn('payments', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_donors_pk', ['campaign_id', 'donor_key'])
    .execute();

  await db.schema
    .createTable('gifts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id'))
    .addColumn('source', 'text', (c) => c.notNull()) // 'stripe' | 'offline'
    .addColumn('frequency', 'text', (c) => c.notNull()) // 'once' | 'monthly'
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull()) // what the donor chose
    .addColumn('fee_amount', 'bigint', (c) => c.notNull().defaultTo(0)) // added when covering fees
    .addColumn('charge_amount', 'bigint', (c) => c.notNull()) // amount + fee_amount
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('anonymous', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('comment', 'text')
    .addColumn('dedication_kind', 'text')
    .addColumn('dedication_name', 'text')
    .addColumn('note', 'text')
    .addColumn('client_ip', 'text')
    .addColumn('checkout_session_id', 'text', (c) => c.unique())
    .addColumn('payment_intent_id', 'text')
    .addColumn('subscription_id', 'text', (c) => c.unique())
    .addColumn('customer_id', 'text')
    .addColumn('subscription_status', 'text')
    .addColumn('received_at', 'timestamptz')
    .addColumn('voided_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('gifts_campaign_created').on('gifts').columns(['campaign_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('gifts_payment_intent').on('gifts').column('payment_intent_id').execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('gift_id', 'uuid', (c) => c.notNull().references('gifts.id'))
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id'))
    // Stripe's id of the money: the PaymentIntent of a one-time gift, the Invoice of a monthly one
    // (so checkout completion and the subscription_create invoice collapse into one row), or
    // 'offline:<gift id>'.
    .addColumn('source_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull()) // 'one_time' | 'first' | 'renewal' | 'offline'
    .addColumn('payment_intent_id', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('paid_at', 'timestamptz', (c) => c.notNull())
    .addColumn('in_window', 'boolean', (c) => c.notNull())
    .addColumn('donor_key', 'text', (c) => c.notNull())
    // What this payment currently contributes to campaign_totals; changes are applied as deltas.
    .addColumn('applied_raised', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('applied_donation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('applied_refunded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('applied_disputed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('voided', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('payments_payment_intent').on('payments').column('payment_intent_id').execute();
  await db.schema.createIndex('payments_gift').on('payments').column('gift_id').execute();
  await db.schema.createIndex('payments_campaign_paid').on('payments').columns(['campaign_id', 'paid_at']).execute();

  // charge.refunded carries the cumulative amount_refunded: keep the newest snapshot per charge.
  await db.schema
    .createTable('stripe_charge_refunds')
    .addColumn('charge_id', 'text', (c) => c.primaryKey())
    .addColumn('payment_intent_id', 'text', (c) => c.notNull())
    .addColumn('amount_refunded', 'bigint', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull()) // event.created (unix seconds)
    .execute();
  await db.schema.createIndex('stripe_charge_refunds_pi').on('stripe_charge_refunds').column('payment_intent_id').execute();

  await db.schema
    .createTable('stripe_disputes')
    .addColumn('dispute_id', 'text', (c) => c.primaryKey())
    .addColumn('payment_intent_id', 'text', (c) => c.notNull())
    .addColumn('charge_id', 'text')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stripe_disputes_pi').on('stripe_disputes').column('payment_intent_id').execute();

  // Which PaymentIntent paid which invoice: a renewal's refunds and disputes name only the
  // PaymentIntent/Charge, never the invoice (API 2026-10-28).
  await db.schema
    .createTable('stripe_invoice_payments')
    .addColumn('invoice_id', 'text', (c) => c.primaryKey())
    .addColumn('payment_intent_id', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('stripe_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull()) // 'processed' | 'ignored'
    .addColumn('detail', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Card-testing defence: fixed-window counters shared by every server process.
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint') // rate-limiter-flexible's Postgres store layout (ms since epoch)
    .execute();

  await db.schema
    .createTable('admins')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('admin_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // sha256 of the cookie token
    .addColumn('admin_id', 'integer', (c) => c.notNull().references('admins.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'admin_sessions',
    'admins',
    'rate_limits',
    'stripe_events',
    'stripe_invoice_payments',
    'stripe_disputes',
    'stripe_charge_refunds',
    'payments',
    'gifts',
    'campaign_donors',
    'campaign_totals',
    'campaigns',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
