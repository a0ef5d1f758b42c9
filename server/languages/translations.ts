import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { CampaignCopy } from '../../common/api.js';
import { LOCALES, type Locale } from '../../common/i18n.js';
import type { Database } from '../../db/schema.js';
import { multiLine, singleLine } from '../campaigns/schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Campaign copy per language (SPEC §13 "Languages"): the headline and message the organisation
 * wrote in each language besides the campaign's own (default) copy. The public progress carries
 * them as `copy` (one read per cache load); the widget picks by the reader's language.
 */
export interface Translation extends CampaignCopy {
  locale: Locale;
  updatedAt: string;
}

export const localeParam = z.object({ locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }) });

/** The same limits as the campaign's own headline and message (campaigns/schemas.ts). */
export const translationSchema = z.strictObject({
  headline: singleLine(200).pipe(z.string().min(1, 'is required')),
  message: multiLine(2000).optional().default(''),
});
export type TranslationInput = z.infer<typeof translationSchema>;

export async function listTranslations(db: Db, campaignId: number): Promise<Translation[]> {
  const rows = await db
    .selectFrom('campaign_translations')
    .where('campaign_id', '=', campaignId)
    .select(['locale', 'headline', 'message', 'updated_at'])
    .orderBy('locale')
    .execute();
  return rows.map((r) => ({ locale: r.locale, headline: r.headline, message: r.message, updatedAt: r.updated_at.toISOString() }));
}

/** The `copy` map of the public progress: only the languages the organisation wrote. */
export async function progressCopy(db: Db, campaignId: number): Promise<{ copy?: Partial<Record<Locale, CampaignCopy>> }> {
  const rows = await db
    .selectFrom('campaign_translations')
    .where('campaign_id', '=', campaignId)
    .select(['locale', 'headline', 'message'])
    .execute();
  if (!rows.length) return {};
  const copy: Partial<Record<Locale, CampaignCopy>> = {};
  for (const r of [...rows].sort((a, b) => LOCALES.indexOf(a.locale) - LOCALES.indexOf(b.locale)))
    copy[r.locale] = { headline: r.headline, message: r.message };
  return { copy };
}

/** Writes one language's copy; returns what was there before (null: new). */
export async function putTranslation(
  db: Db,
  campaignId: number,
  locale: Locale,
  input: TranslationInput,
  at: Date,
): Promise<{ before: Translation | null; after: Translation }> {
  const before = (await listTranslations(db, campaignId)).find((t) => t.locale === locale) ?? null;
  await db
    .insertInto('campaign_translations')
    .values({ campaign_id: campaignId, locale, headline: input.headline, message: input.message, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'locale']).doUpdateSet({ headline: input.headline, message: input.message, updated_at: at }),
    )
    .execute();
  return { before, after: { locale, headline: input.headline, message: input.message, updatedAt: at.toISOString() } };
}

/** Deletes one language's copy; returns it (null: there was none). */
export async function deleteTranslation(db: Db, campaignId: number, locale: Locale): Promise<Translation | null> {
  const row = await db
    .deleteFrom('campaign_translations')
    .where('campaign_id', '=', campaignId)
    .where('locale', '=', locale)
    .returning(['locale', 'headline', 'message', 'updated_at'])
    .executeTakeFirst();
  return row ? { locale: row.locale, headline: row.headline, message: row.message, updatedAt: row.updated_at.toISOString() } : null;
}
