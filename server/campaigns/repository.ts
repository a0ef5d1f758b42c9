import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** Campaign row joined with its maintained totals: the whole progress read is one indexed lookup. */
export function selectCampaignWithTotals(db: Kysely<Database>) {
  return db
    .selectFrom('campaigns as c')
    .innerJoin('campaign_totals as t', 't.campaign_id', 'c.id')
    .select((eb) => eb.selectFrom('campaigns as f').whereRef('f.id', '=', 'c.follow_on_id').select('f.slug').as('follow_on_slug'))
    .select([
      'c.id',
      'c.slug',
      'c.title',
      'c.headline',
      'c.message',
      'c.currency',
      'c.goal',
      'c.starts_at',
      'c.ends_at',
      'c.presets',
      'c.allowed_origins',
      'c.fee_rate_ppm',
      'c.fee_fixed',
      'c.match_ratio_ppm',
      'c.match_cap',
      'c.archived_at',
      'c.stretch_goals',
      'c.follow_on_id',
      'c.frequency_impressions',
      'c.frequency_days',
      'c.created_at',
      'c.updated_at',
      't.raised',
      't.donations',
      't.donors',
      't.refunded',
      't.disputed',
      't.version',
    ]);
}

export type CampaignWithTotals = Awaited<ReturnType<ReturnType<typeof selectCampaignWithTotals>['executeTakeFirstOrThrow']>>;

export function findBySlug(db: Kysely<Database>, slug: string) {
  return selectCampaignWithTotals(db).where('c.slug', '=', slug).executeTakeFirst();
}

export function listAll(db: Kysely<Database>) {
  return selectCampaignWithTotals(db).orderBy('c.ends_at', 'desc').orderBy('c.id', 'desc').execute();
}
