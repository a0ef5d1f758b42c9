import type { CampaignStatus, OrgSettings, Progress, ReconciliationRun, WebhookHealth } from '../../common/api.js';

export type { CampaignStatus, OrgSettings, ReconciliationRun, WebhookHealth };

/** The admin campaign: the public progress fields (common/api.ts) plus the admin's. */
export interface AdminCampaign extends Progress {
  id: number;
  /** The follow-on campaign's slug, whatever its status (the public followOn only names an open one). */
  followOnSlug: string | null;
  daysLeft: number;
  refunded: number;
  disputed: number;
  archivedAt: string | null;
  /** Sites allowed to embed the campaign and get donors back after Checkout. */
  allowedOrigins: string[];
}

export interface DailyPoint {
  date: string;
  amount: number;
  gross: number;
  donations: number;
}

export interface Dashboard extends AdminCampaign {
  averageGift: number;
  monthlyDonors: number;
  monthlyAmount: number;
  daily: DailyPoint[];
}

export type DonationStatus =
  | 'paid'
  | 'pending'
  | 'failed'
  | 'refunded'
  | 'partially_refunded'
  | 'disputed'
  | 'expired'
  | 'voided'
  | 'created';

export interface Donation {
  id: string;
  source: 'stripe' | 'offline';
  frequency: 'once' | 'monthly';
  status: DonationStatus;
  giftStatus: string;
  currency: string;
  amount: number;
  feeAmount: number;
  chargeAmount: number;
  counted: number;
  refunded: number;
  disputed: number;
  payments: number;
  /** Stripe's fee and the net of the gift's charges and their payouts (null: not known yet). */
  books: { stripeFee: number | null; net: number | null; payouts: string[]; payoutArrivals: string[] };
  name: string | null;
  email: string | null;
  anonymous: boolean;
  showOnWall: boolean;
  comment: string | null;
  dedication: { kind: 'honor' | 'memory'; name: string } | null;
  note: string | null;
  createdAt: string;
  receivedAt: string | null;
  voidedAt: string | null;
  stripe: {
    checkoutSessionId: string | null;
    paymentIntentId: string | null;
    subscriptionId: string | null;
    customerId: string | null;
    subscriptionStatus: string | null;
  };
}

export interface Movement {
  id: number;
  kind: 'one_time' | 'first' | 'renewal' | 'offline';
  sourceKey: string;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  paidAt: string;
  inWindow: boolean;
  voided: boolean;
  counted: { raised: number; donation: number; refunded: number; disputed: number };
  refunds: { chargeId: string; amountRefunded: number; asOf: string }[];
  disputes: { disputeId: string; chargeId: string | null; amount: number; status: string; asOf: string }[];
  /** The payment's receipt: number once produced, the address it went to, its mails. */
  receipt: {
    number: number | null;
    to: string | null;
    mails: { id: number; kind: string; status: string; createdAt: string; sentAt: string | null }[];
  };
  /** Stripe's balance transactions of this payment (the books). */
  balance: BalanceLine[];
}

export interface BalanceLine {
  id: string;
  type: string;
  category: string | null;
  source: string | null;
  currency: string;
  amount: number;
  fee: number;
  net: number;
  created: string;
  payout: { id: string; status: string | null; arrivalDate: string | null } | null;
}

export interface DonationDetail extends Donation {
  campaign: { slug: string; title: string };
  movements: Movement[];
}

export interface AuditEntry {
  id: number;
  admin: string | null;
  action: string;
  entity: 'campaign' | 'gift' | 'admin' | 'organisation' | 'donor';
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  at: string;
}
