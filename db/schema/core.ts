import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface CampaignsTable {
  id: Generated<number>;
  slug: string;
  title: string;
  headline: string;
  message: string;
  currency: string; // ISO 4217, upper case
  goal: number;
  starts_at: Timestamp;
  ends_at: Timestamp;
  presets: ColumnType<number[], string, string>; // jsonb: write JSON.stringify(array)
  /** Origins allowed to embed and receive returning donors (jsonb array; PUBLIC_URL implied). */
  allowed_origins: ColumnType<string[], string | undefined, string>;
  fee_rate_ppm: Generated<number>;
  fee_fixed: Generated<number>;
  match_ratio_ppm: number | null;
  match_cap: number | null;
  archived_at: Timestamp | null;
  /** Goals after `goal`, ascending (jsonb; migrations/0018_giving). */
  stretch_goals: ColumnType<number[], string | undefined, string>;
  /** Where an ended campaign sends its readers (migrations/0018_giving). */
  follow_on_id: number | null;
  /** At most this many banner views per reader per frequency_days; both null: uncapped (0021). */
  frequency_impressions: number | null;
  frequency_days: number | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface CampaignTotalsTable {
  campaign_id: number;
  raised: Generated<number>;
  donations: Generated<number>;
  donors: Generated<number>;
  refunded: Generated<number>;
  disputed: Generated<number>;
  version: Generated<number>;
  updated_at: CreatedAt;
}

export interface CampaignDonorsTable {
  campaign_id: number;
  donor_key: string;
  payments: number;
}

export type GiftStatus = 'created' | 'pending' | 'paid' | 'failed' | 'expired' | 'voided';

export interface GiftsTable {
  id: string;
  campaign_id: number;
  source: 'stripe' | 'offline';
  frequency: 'once' | 'monthly';
  currency: string;
  amount: number;
  fee_amount: Generated<number>;
  charge_amount: number;
  status: GiftStatus;
  name: string | null;
  email: string | null;
  anonymous: Generated<boolean>;
  /** On the public donor wall (offline gifts: only when the admin says so). */
  show_on_wall: Generated<boolean>;
  comment: string | null;
  dedication_kind: 'honor' | 'memory' | null;
  dedication_name: string | null;
  note: string | null;
  client_ip: string | null;
  checkout_session_id: string | null;
  payment_intent_id: string | null;
  subscription_id: string | null;
  customer_id: string | null;
  subscription_status: string | null;
  subscription_as_of: number | null;
  /** What the subscription charges each period now (0012; null until a subscription event says). */
  subscription_amount: ColumnType<number | null, number | null | undefined, number | null>;
  /** Why the donor canceled: Stripe's cancellation_details feedback code and comment (0012). */
  cancel_feedback: ColumnType<string | null, string | null | undefined, string | null>;
  cancel_comment: ColumnType<string | null, string | null | undefined, string | null>;
  received_at: Timestamp | null;
  voided_at: Timestamp | null;
  /** The pledge whose e-mail link made this gift's Checkout (migrations/0018_giving). */
  pledge_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The copy variant and embedding origin ('' own/direct) the gift came from (migrations/0019_variants). */
  variant_id: ColumnType<number | null, number | null | undefined, number | null>;
  funnel_origin: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type PaymentKind = 'one_time' | 'first' | 'renewal' | 'offline';

export interface PaymentsTable {
  id: Generated<number>;
  gift_id: string;
  campaign_id: number;
  source_key: string;
  kind: PaymentKind;
  payment_intent_id: string | null;
  currency: string;
  amount: number;
  paid_at: Timestamp;
  /** The instant that decides the campaign window (SPEC §5). */
  counted_at: Timestamp;
  in_window: boolean;
  donor_key: string;
  applied_raised: Generated<number>;
  applied_donation: Generated<number>;
  applied_refunded: Generated<number>;
  applied_disputed: Generated<number>;
  voided: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface StripeChargeRefundsTable {
  charge_id: string;
  payment_intent_id: string;
  amount_refunded: number;
  as_of: number;
}

export interface StripeDisputesTable {
  dispute_id: string;
  payment_intent_id: string;
  charge_id: string | null;
  amount: number;
  status: string;
  as_of: number;
}

export interface StripeInvoicePaymentsTable {
  invoice_id: string;
  payment_intent_id: string;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  /** processed / ignored / parked: applied (a redelivery is a duplicate); failed: retried;
   * unreadable: signed but malformed. */
  outcome: EventOutcome;
  detail: string | null;
  attempts: Generated<number>;
  api_version: string | null;
  conflict: string | null;
  payload: ColumnType<unknown, string, string>;
  received_at: CreatedAt;
}

export type EventOutcome = 'processed' | 'ignored' | 'parked' | 'failed' | 'unreadable';

export interface StripeParkedEventsTable {
  event_id: string;
  subscription_id: string;
  /** The event to replay, in the pinned API version (null for rows parked before 0006). */
  event: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface StripeRefundsTable {
  refund_id: string;
  charge_id: string | null;
  payment_intent_id: string;
  amount: number;
  status: string;
  created: number;
  failed_at: number | null;
  as_of: number;
}

export interface RateLimitsTable {
  key: string;
  points: Generated<number>;
  expire: number | null;
}

export type AdminRole = 'owner' | 'editor' | 'viewer';

export interface AdminsTable {
  id: Generated<number>;
  email: string;
  /** NULL until an invited admin sets a password (migrations/0005_admin_roles). */
  password_hash: string | null;
  role: ColumnType<AdminRole, AdminRole | undefined, AdminRole>;
  disabled_at: Timestamp | null;
  /** Signs this admin's known-device cookies; replaced when the password changes. */
  device_key: string | null;
  created_at: CreatedAt;
}

export interface AdminSessionsTable {
  id: string;
  admin_id: number;
  csrf_token: string;
  expires_at: Timestamp;
  /** When the password was last entered in this session (sign-in or re-authentication). */
  authenticated_at: CreatedAt;
  created_at: CreatedAt;
}

export interface CoreTables {
  campaigns: CampaignsTable;
  campaign_totals: CampaignTotalsTable;
  campaign_donors: CampaignDonorsTable;
  gifts: GiftsTable;
  payments: PaymentsTable;
  stripe_charge_refunds: StripeChargeRefundsTable;
  stripe_disputes: StripeDisputesTable;
  stripe_invoice_payments: StripeInvoicePaymentsTable;
  stripe_events: StripeEventsTable;
  stripe_parked_events: StripeParkedEventsTable;
  stripe_refunds: StripeRefundsTable;
  rate_limits: RateLimitsTable;
  admins: AdminsTable;
  admin_sessions: AdminSessionsTable;
}

export type Campaign = Selectable<CampaignsTable>;
export type NewCampaign = Insertable<CampaignsTable>;
export type CampaignUpdate = Updateable<CampaignsTable>;
export type Gift = Selectable<GiftsTable>;
export type NewGift = Insertable<GiftsTable>;
export type Payment = Selectable<PaymentsTable>;
