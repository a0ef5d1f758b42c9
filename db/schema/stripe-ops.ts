import type { ColumnType, Generated } from 'kysely';

/** The books (migrations/0015_stripe_ops): Stripe's fee, net and payout per balance transaction. */
export interface StripeBalanceTransactionsTable {
  id: string;
  type: string;
  reporting_category: string | null;
  source_id: string | null;
  payment_intent_id: string | null;
  currency: string;
  amount: number;
  fee: number;
  net: number;
  created: number;
  available_on: number | null;
  payout_id: string | null;
  recorded_at: Generated<Date>;
}

export interface StripePayoutsTable {
  id: string;
  amount: number;
  currency: string;
  status: string;
  arrival_date: number;
  created: number;
  as_of: number;
}

export interface ReconciliationRunsTable {
  id: Generated<number>;
  trigger: 'schedule' | 'cli';
  since: ColumnType<Date, Date, Date>;
  until: ColumnType<Date, Date, Date>;
  started_at: ColumnType<Date, Date, Date>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  status: 'running' | 'ok' | 'failed';
  recovered: Generated<number>;
  report: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
}

export interface StripeOpsTables {
  stripe_balance_transactions: StripeBalanceTransactionsTable;
  stripe_payouts: StripePayoutsTable;
  reconciliation_runs: ReconciliationRunsTable;
}
