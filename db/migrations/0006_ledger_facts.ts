import { type Kysely, sql } from 'kysely';

/**
 * The second ledger (issue 9):
 * - stripe_events.outcome gains 'parked', 'failed' (could not be read or applied: retried by
 *   Stripe or by reconciliation) and 'unreadable' (signed but malformed); attempts counts
 *   tries, api_version is the version the event was rendered in, conflict names metadata that
 *   disagreed with Stripe's own ids (shown to the admin, moved no money).
 * - stripe_parked_events.event: the event to replay, already re-read in the pinned version.
 * - stripe_refunds: one row per refund with its own status (a refund can fail after its
 *   charge.refunded snapshot, in the same second).
 * - stripe_invoice_payments: an invoice may be paid by several PaymentIntents.
 * - payments.counted_at: the instant that decides the campaign window (SPEC §5): when Checkout
 *   started for one-time and first payments, paid_at for renewals, received_at offline.
 * - gifts.subscription_as_of: Stripe's time of the subscription status we hold.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('stripe_events')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('stripe_events').addColumn('api_version', 'text').execute();
  await db.schema.alterTable('stripe_events').addColumn('conflict', 'text').execute();
  await db.schema.createIndex('stripe_events_outcome').on('stripe_events').columns(['outcome', 'created']).execute();
  await db.schema.alterTable('stripe_parked_events').addColumn('event', 'jsonb').execute();

  await db.schema
    .createTable('stripe_refunds')
    .addColumn('refund_id', 'text', (c) => c.primaryKey())
    .addColumn('charge_id', 'text')
    .addColumn('payment_intent_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull()) // the refund's own created (unix seconds)
    .addColumn('failed_at', 'bigint') // event.created of the first event that showed it failed or canceled
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stripe_refunds_pi').on('stripe_refunds').column('payment_intent_id').execute();

  await sql`alter table stripe_invoice_payments drop constraint stripe_invoice_payments_pkey`.execute(db);
  await sql`alter table stripe_invoice_payments add primary key (invoice_id, payment_intent_id)`.execute(db);
  await db.schema.createIndex('stripe_invoice_payments_pi').on('stripe_invoice_payments').column('payment_intent_id').execute();

  await db.schema.alterTable('payments').addColumn('counted_at', 'timestamptz').execute();
  await sql`update payments p set counted_at = case when p.kind in ('one_time', 'first') then g.created_at else p.paid_at end from gifts g where g.id = p.gift_id`.execute(
    db,
  );
  await sql`alter table payments alter column counted_at set not null`.execute(db);

  await db.schema.alterTable('gifts').addColumn('subscription_as_of', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('gifts').dropColumn('subscription_as_of').execute();
  await db.schema.alterTable('payments').dropColumn('counted_at').execute();
  await db.schema.dropIndex('stripe_invoice_payments_pi').execute();
  await sql`alter table stripe_invoice_payments drop constraint stripe_invoice_payments_pkey`.execute(db);
  await sql`delete from stripe_invoice_payments a using stripe_invoice_payments b where a.invoice_id = b.invoice_id and a.payment_intent_id > b.payment_intent_id`.execute(
    db,
  );
  await sql`alter table stripe_invoice_payments add primary key (invoice_id)`.execute(db);
  await db.schema.dropTable('stripe_refunds').execute();
  await db.schema.alterTable('stripe_parked_events').dropColumn('event').execute();
  await db.schema.dropIndex('stripe_events_outcome').execute();
  for (const c of ['conflict', 'api_version', 'attempts']) await db.schema.alterTable('stripe_events').dropColumn(c).execute();
}
