import type { ColumnType, Generated, Selectable } from 'kysely';

/** Tables of the daily-digest sign-up (owned by the web/demo-page work; see migrations/0002_digest). */
export interface DigestSubscribersTable {
  id: Generated<number>;
  /** Always lower-case (check constraint), unique. */
  email: string;
  consented_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  source_ip: string | null;
}

export interface DigestTables {
  digest_subscribers: DigestSubscribersTable;
}

export type DigestSubscriber = Selectable<DigestSubscribersTable>;
