import { randomBytes } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { PublicVariant } from '../../common/api.js';
import type { Selectable } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CampaignVariantsTable } from '../../db/schema/variants.js';
import { AppError, notFound } from '../errors.js';
import type { VariantInput, VariantPatch } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;
export type VariantRow = Selectable<CampaignVariantsTable>;

/** A reader keeps their variant; after it is stopped their beacons still count for this long. */
export const RECENT_MS = 7 * 86_400_000;

/** What the public progress says about variants (server/campaigns/progress-cache.ts). */
export async function progressVariants(db: Db, campaignId: number): Promise<{ variants: PublicVariant[] }> {
  const rows = await db
    .selectFrom('campaign_variants')
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'active')
    .where('weight', '>', 0)
    .select(['public_id', 'weight', 'control', 'headline', 'message', 'button', 'locale'])
    .orderBy('id')
    .execute();
  return {
    variants: rows.map((r) => ({
      id: r.public_id,
      weight: r.weight,
      control: r.control,
      headline: r.headline,
      message: r.message,
      button: r.button,
      locale: r.locale,
    })),
  };
}

/** public id → row id, for variants a reader may still hold: active, or stopped recently. */
export async function countableVariants(db: Db, campaignId: number, now: Date): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('campaign_variants')
    .where('campaign_id', '=', campaignId)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('stopped_at', '>', new Date(now.getTime() - RECENT_MS))]))
    .select(['id', 'public_id'])
    .execute();
  return new Map(rows.map((r) => [r.public_id, r.id]));
}

export async function listVariants(db: Db, campaignId: number): Promise<VariantRow[]> {
  return db.selectFrom('campaign_variants').where('campaign_id', '=', campaignId).selectAll().orderBy('id').execute();
}

async function getVariant(db: Db, campaignId: number, publicId: string): Promise<VariantRow> {
  const v = await db
    .selectFrom('campaign_variants')
    .where('campaign_id', '=', campaignId)
    .where('public_id', '=', publicId)
    .selectAll()
    .executeTakeFirst();
  if (!v) throw notFound('Variant');
  return v;
}

const newPublicId = () => `v${randomBytes(6).toString('base64url')}`;

export async function createVariant(db: Kysely<Database>, campaignId: number, input: VariantInput, now: Date): Promise<VariantRow> {
  return db.transaction().execute(async (trx) => {
    await lockCampaignVariants(trx, campaignId);
    const count = await trx
      .selectFrom('campaign_variants')
      .where('campaign_id', '=', campaignId)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= 50) throw new AppError('too_many_variants', 409, 'A campaign has at most 50 variants');
    if (input.control) await trx.updateTable('campaign_variants').set({ control: false }).where('campaign_id', '=', campaignId).execute();
    return trx
      .insertInto('campaign_variants')
      .values({
        campaign_id: campaignId,
        public_id: newPublicId(),
        name: input.name,
        headline: input.headline ?? null,
        message: input.message ?? null,
        button: input.button ?? null,
        locale: input.locale ?? null,
        weight: input.weight,
        control: input.control,
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export async function updateVariant(
  db: Kysely<Database>,
  campaignId: number,
  publicId: string,
  patch: VariantPatch,
  now: Date,
): Promise<{ before: VariantRow; after: VariantRow }> {
  return db.transaction().execute(async (trx) => {
    await lockCampaignVariants(trx, campaignId);
    const before = await getVariant(trx, campaignId, publicId);
    if (patch.control) await trx.updateTable('campaign_variants').set({ control: false }).where('campaign_id', '=', campaignId).execute();
    const after = await trx
      .updateTable('campaign_variants')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.headline !== undefined && { headline: patch.headline }),
        ...(patch.message !== undefined && { message: patch.message }),
        ...(patch.button !== undefined && { button: patch.button }),
        ...(patch.locale !== undefined && { locale: patch.locale }),
        ...(patch.weight !== undefined && { weight: patch.weight }),
        ...(patch.control !== undefined && { control: patch.control }),
        ...(patch.status === 'active' && before.status !== 'active' && { status: 'active' as const, stopped_at: null }),
        ...(patch.status === 'stopped' && before.status !== 'stopped' && { status: 'stopped' as const, stopped_at: now }),
        updated_at: now,
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { before, after };
  });
}

/** "Keep the winner": every other variant stops and the winner becomes the control. */
export async function keepWinner(db: Kysely<Database>, campaignId: number, publicId: string, now: Date) {
  return db.transaction().execute(async (trx) => {
    await lockCampaignVariants(trx, campaignId);
    const winner = await getVariant(trx, campaignId, publicId);
    const stopped = await trx
      .updateTable('campaign_variants')
      .set({ status: 'stopped', stopped_at: now, control: false, updated_at: now })
      .where('campaign_id', '=', campaignId)
      .where('id', '<>', winner.id)
      .where('status', '=', 'active')
      .returning('public_id')
      .execute();
    await trx
      .updateTable('campaign_variants')
      .set({ control: false })
      .where('campaign_id', '=', campaignId)
      .where('id', '<>', winner.id)
      .execute();
    await trx
      .updateTable('campaign_variants')
      .set({ status: 'active', stopped_at: null, control: true, updated_at: now })
      .where('id', '=', winner.id)
      .execute();
    return { winner: winner.public_id, stopped: stopped.map((s) => s.public_id) };
  });
}

/** Two admins editing a campaign's variants at once take turns (one control at a time). */
async function lockCampaignVariants(trx: Transaction<Database>, campaignId: number) {
  await sql`select id from campaigns where id = ${campaignId} for update`.execute(trx);
}

/** A variant's copy and settings as the admin sees them: in the report and in the audit log. */
export function variantSettings(v: VariantRow) {
  return {
    name: v.name,
    headline: v.headline,
    message: v.message,
    button: v.button,
    locale: v.locale,
    weight: v.weight,
    control: v.control,
    status: v.status,
  };
}

export function variantSnapshot(v: VariantRow) {
  return { variant: v.public_id, ...variantSettings(v) };
}
