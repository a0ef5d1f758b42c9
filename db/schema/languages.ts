import type { ColumnType } from 'kysely';
import type { Locale } from '../../common/i18n.js';

/** Campaign copy per language (migrations/0020_languages); the campaign's columns are its default copy. */
export interface CampaignTranslationsTable {
  campaign_id: number;
  locale: Locale;
  headline: string;
  message: ColumnType<string, string | undefined, string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface LanguageTables {
  campaign_translations: CampaignTranslationsTable;
}
