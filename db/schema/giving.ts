import type { ColumnType, Generated } from 'kysely';
import type { BreakerEvent, BreakerReason } from '../../common/api.js';
import type { Locale } from '../../common/i18n.js';

type Time = ColumnType<Date, Date | string, Date | string>;
type MaybeTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type { BreakerEvent, BreakerReason };

/** One row, id 1 (migrations/0018_giving). */
export interface PaymentsBreakerTable {
  id: number;
  open: Generated<boolean>;
  reason: BreakerReason | null;
  detail: string | null;
  pledge_mode: Generated<boolean>;
  changed_at: MaybeTime;
  next_probe_at: MaybeTime;
  last_probe_at: MaybeTime;
  last_probe_ok: boolean | null;
  last_probe_error: string | null;
  other_ways: Generated<string>;
  pledge_retention_days: Generated<number>;
}

export interface PaymentsBreakerLogTable {
  id: Generated<number>;
  at: Time;
  event: BreakerEvent;
  /** Written only by server/giving/breaker.ts. */
  reason: BreakerReason | null;
  detail: string | null;
  admin_id: number | null;
}

export type PledgeStatus = 'open' | 'invited' | 'withdrawn';

export interface PledgesTable {
  id: string;
  campaign_id: number;
  amount: number;
  currency: string;
  frequency: 'once' | 'monthly';
  email: string;
  name: string | null;
  consent_text: string;
  status: ColumnType<PledgeStatus, PledgeStatus | undefined, PledgeStatus>;
  token_hash: string | null;
  invited_at: MaybeTime;
  /** The pledger's language (migrations/0020_languages); null: English. */
  locale: ColumnType<Locale | null, Locale | null | undefined, Locale | null>;
  delete_after: Time;
  created_at: Time;
}

export interface CardTestingTable {
  campaign_id: number;
  captcha_until: MaybeTime;
  tripped_at: MaybeTime;
  trips: Generated<number>;
}

export interface AdminAlertsTable {
  id: Generated<number>;
  kind: string;
  campaign_id: number | null;
  message: string;
  created_at: Time;
}

export interface GivingTables {
  payments_breaker: PaymentsBreakerTable;
  payments_breaker_log: PaymentsBreakerLogTable;
  pledges: PledgesTable;
  card_testing: CardTestingTable;
  admin_alerts: AdminAlertsTable;
}
