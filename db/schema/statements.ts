import type { ColumnType, Generated, Selectable } from 'kysely';

type Time = ColumnType<Date, Date | string, Date | string>;
type MaybeTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Random keys that sign stateless links, one per purpose (migrations/0013_statements). */
export interface SigningKeysTable {
  purpose: string;
  key: string;
  created_at: Time;
}

export type StatementRunStatus = 'running' | 'paused' | 'done';

/** The January job: one row per year, its cursor and throttle committed with each step. */
export interface StatementRunsTable {
  id: Generated<number>;
  year: number;
  status: StatementRunStatus;
  per_minute: number;
  /** The last donor key handled (donor keys are walked in order). */
  cursor: string | null;
  /** The throttle's clock: the time up to which mails were "paid for". */
  last_at: Time;
  queued: Generated<number>;
  skipped: Generated<number>;
  donors: Generated<number>;
  created_by: number | null;
  created_at: Time;
  finished_at: MaybeTime;
}

/** Single-use password reset links; only the SHA-256 of the token is stored. */
export interface AdminPasswordResetsTable {
  token_hash: string;
  admin_id: number;
  expires_at: Time;
  created_at: Time;
}

/** What each erasure changed (counts only), under the pseudonym that replaced the address. */
export interface DonorErasuresTable {
  id: Generated<number>;
  pseudonym: string;
  admin_id: number | null;
  counts: ColumnType<Record<string, number>, string, string>;
  created_at: Time;
}

export interface StatementTables {
  signing_keys: SigningKeysTable;
  statement_runs: StatementRunsTable;
  admin_password_resets: AdminPasswordResetsTable;
  donor_erasures: DonorErasuresTable;
}

export type StatementRun = Selectable<StatementRunsTable>;
