import { type Kysely, sql } from 'kysely';

/**
 * Stripe operations (issue 11, SPEC §12):
 * - stripe_balance_transactions: the books. One row per Stripe balance transaction (a charge, a
 *   refund, a dispute's withdrawal or reversal, a payout) with Stripe's fee and the net amount,
 *   the PaymentIntent it belongs to where there is one, and the payout that paid it out once
 *   known (payout.paid, reconciliation). Facts keyed by Stripe's ids, written by the ledger
 *   (server/ledger/books.ts); they never move campaign totals.
 * - stripe_payouts: each payout to the bank, as a treasurer sees it on the statement.
 * - reconciliation_runs: every reconciliation (scheduled or `npm run reconcile`), what it looked
 *   at and what it recovered, for the admin's webhook health.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stripe_balance_transactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('reporting_category', 'text')
    .addColumn('source_id', 'text')
    .addColumn('payment_intent_id', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('fee', 'bigint', (c) => c.notNull())
    .addColumn('net', 'bigint', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('available_on', 'bigint')
    .addColumn('payout_id', 'text')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stripe_balance_transactions_pi').on('stripe_balance_transactions').column('payment_intent_id').execute();
  await db.schema.createIndex('stripe_balance_transactions_payout').on('stripe_balance_transactions').column('payout_id').execute();

  await db.schema
    .createTable('stripe_payouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('arrival_date', 'bigint', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('reconciliation_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recovered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('report', 'jsonb')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('reconciliation_runs_started').on('reconciliation_runs').column('started_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reconciliation_runs').execute();
  await db.schema.dropTable('stripe_payouts').execute();
  await db.schema.dropTable('stripe_balance_transactions').execute();
}
