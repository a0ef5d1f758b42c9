import type { Kysely } from 'kysely';

/**
 * Subscription events that arrive before the checkout completion that tells us which gift the
 * subscription belongs to (when the invoice carries no gift_id metadata). They wait here and
 * are replayed, in the same transaction, when the gift learns its subscription id: no money is
 * lost to ordering, and subscriptions that are not ours simply stay parked.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stripe_parked_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey().references('stripe_events.id'))
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stripe_parked_events_subscription').on('stripe_parked_events').column('subscription_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stripe_parked_events').execute();
}
