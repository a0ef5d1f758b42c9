import type { ColumnType, Generated, Selectable } from 'kysely';

type Json = ColumnType<unknown, string, string>; // jsonb: write JSON.stringify(value)
type Time = ColumnType<Date, Date | string, Date | string>;

export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';

/** Durable e-mail, one row per fact (migrations/0010_mail). */
export interface MailOutboxTable {
  id: Generated<number>; // bigserial, parsed to number (db/connect.ts)
  fact_key: string;
  kind: string;
  to_address: string;
  data: Json;
  status: ColumnType<MailStatus, MailStatus | undefined, MailStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Time;
  lease_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  claimed_by: string | null;
  last_error: string | null;
  transport: 'smtp' | 'outbox' | null;
  message_id: string | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  headers: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Time;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface MailSuppressionsTable {
  address: string;
  reason: string;
  created_at: Time;
}

/** One receipt number per paid payment, never reused (migrations/0010_mail). */
export interface ReceiptsTable {
  number: Generated<number>;
  payment_id: number;
  issued_at: Time;
}

/** What the donor was last told about a payment (migrations/0011): receipt, then notices. */
export interface ReceiptStatementsTable {
  payment_id: number;
  /** Where the receipt went: corrections follow it. */
  to_address: string;
  amount: number;
  refunded: number;
  /** Lost to disputes (lost or under appeal). */
  lost: number;
  voided: boolean;
  /** Corrected notices queued so far (each one's fact key carries its ordinal). */
  notices: ColumnType<number, number | undefined, number>;
  updated_at: Time;
}

export interface MailTables {
  mail_outbox: MailOutboxTable;
  mail_suppressions: MailSuppressionsTable;
  receipts: ReceiptsTable;
  receipt_statements: ReceiptStatementsTable;
}

export type ReceiptStatement = Selectable<ReceiptStatementsTable>;

export type OutboxRow = Selectable<MailOutboxTable>;
