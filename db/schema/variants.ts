import type { ColumnType, Generated } from 'kysely';
import type { Locale } from '../../common/i18n.js';

type Time = ColumnType<Date, Date | string, Date | string>;
type MaybeTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** migrations/0019_variants */
export interface CampaignVariantsTable {
  id: Generated<number>;
  campaign_id: number;
  public_id: string;
  name: string;
  headline: string | null;
  message: string | null;
  button: string | null;
  locale: Locale | null;
  weight: number;
  control: boolean;
  status: 'active' | 'stopped';
  stopped_at: MaybeTime;
  created_at: Time;
  updated_at: Time;
}

/** Aggregated counters per campaign, day (organisation's zone), variant (0: none), origin ('' own/direct). */
export interface FunnelDailyTable {
  campaign_id: number;
  day: ColumnType<string, string, string>;
  variant_id: number;
  origin: string;
  impressions: Generated<number>;
  opens: Generated<number>;
  checkouts: Generated<number>;
}

export interface VariantTables {
  campaign_variants: CampaignVariantsTable;
  funnel_daily: FunnelDailyTable;
}
