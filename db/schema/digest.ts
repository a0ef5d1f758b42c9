import type { ColumnType, Generated, Selectable } from 'kysely';

/** Tables of the daily-digest sign-up (owned by the web/demo-page work; see migrations/0002_digest). */
export interface DigestSubscribersTable {
  id: Generated<number>;
  /** Always lower-case (check constraint), unique. */
  email: string;
  consented_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  source_ip: string | null;
  /** Double opt-in (migrations/0010_mail): only 'confirmed' rows are subscribers. */
  status: ColumnType<
    'pending' | 'confirmed' | 'unsubscribed',
    'pending' | 'confirmed' | 'unsubscribed' | undefined,
    'pending' | 'confirmed' | 'unsubscribed'
  >;
  confirmed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  unsubscribed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Origin + path of the page the form was on (no query string). */
  source_page: string | null;
}

/** SHA-256 of single-purpose, expiring tokens sent by mail; the token itself is never stored. */
export interface DigestTokensTable {
  token_hash: string;
  subscriber_id: number;
  purpose: 'confirm' | 'unsubscribe';
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, Date | string, Date | string>;
}

export interface DigestTables {
  digest_subscribers: DigestSubscribersTable;
  digest_tokens: DigestTokensTable;
}

export type DigestSubscriber = Selectable<DigestSubscribersTable>;
