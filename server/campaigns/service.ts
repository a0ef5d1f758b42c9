import type { Kysely } from 'kysely';
import type { CampaignStatus, Progress, ProgressExtras } from '../../common/api.js';
import { ppmToDecimal } from '../../common/money.js';
import type { Database } from '../../db/schema.js';
import { AppError, notFound } from '../errors.js';
import type { CreateCampaignInput, UpdateCampaignInput } from './schemas.js';
import { type LedgerDeps, withLedger } from '../ledger/ledger.js';
import { type CampaignWithTotals, findBySlug, listAll } from './repository.js';

export type { CampaignStatus, Progress };

export function campaignStatus(c: { starts_at: Date; ends_at: Date; archived_at: Date | null }, now: Date): CampaignStatus {
  if (c.archived_at) return 'archived';
  if (now < c.starts_at) return 'scheduled';
  if (now >= c.ends_at) return 'ended';
  return 'open';
}

/** SPEC §5: matched = min(floor(raised * ratio), cap), in integers (ratio held in ppm). */
export function matchedAmount(raised: number, ratioPpm: number | null, cap: number | null): number {
  if (!ratioPpm || cap == null || raised <= 0) return 0;
  const m = (BigInt(raised) * BigInt(ratioPpm)) / 1_000_000n;
  return Number(m < BigInt(cap) ? m : BigInt(cap));
}

/**
 * Stretch goals (SPEC §13): the current goal is the first the total has not reached; once all are
 * reached, the last. The goal before it is shown as reached.
 */
export function currentGoal(goals: readonly number[], total: number): { goal: number; reachedGoal: number | null } {
  const i = goals.findIndex((g) => total < g);
  const at = i === -1 ? goals.length - 1 : i;
  return { goal: goals[at]!, reachedGoal: at > 0 ? goals[at - 1]! : null };
}

/** The campaign's frequency cap as the public progress states it; null: uncapped. */
export function frequencyOf(c: { frequency_impressions: number | null; frequency_days: number | null }): Progress['frequency'] {
  return c.frequency_impressions != null && c.frequency_days != null
    ? { impressions: c.frequency_impressions, days: c.frequency_days }
    : null;
}

const NO_EXTRAS: ProgressExtras = { payments: 'up', otherWays: '', pledgeDays: 90, followOn: null };

export function toProgress(c: CampaignWithTotals, now: Date, extras: ProgressExtras = NO_EXTRAS): Progress {
  const matched = matchedAmount(c.raised, c.match_ratio_ppm, c.match_cap);
  const total = c.raised + matched;
  const goals = [c.goal, ...(c.stretch_goals ?? [])];
  const { goal, reachedGoal } = currentGoal(goals, total);
  return {
    slug: c.slug,
    title: c.title,
    headline: c.headline,
    message: c.message,
    currency: c.currency,
    goal,
    goals,
    reachedGoal,
    raised: c.raised,
    matched,
    total,
    percent: Math.floor((100 * total) / goal),
    donors: c.donors,
    donations: c.donations,
    startsAt: c.starts_at.toISOString(),
    endsAt: c.ends_at.toISOString(),
    status: campaignStatus(c, now),
    presets: c.presets,
    match: c.match_ratio_ppm && c.match_cap != null ? { ratio: c.match_ratio_ppm / 1e6, cap: c.match_cap } : null,
    fees: { rate: ppmToDecimal(c.fee_rate_ppm), fixed: c.fee_fixed },
    frequency: frequencyOf(c),
    ...extras,
  };
}

export async function getCampaign(db: Kysely<Database>, slug: string): Promise<CampaignWithTotals> {
  const c = await findBySlug(db, slug);
  if (!c) throw notFound('Campaign');
  return c;
}

export async function getProgress(db: Kysely<Database>, slug: string, now: Date): Promise<Progress> {
  return toProgress(await getCampaign(db, slug), now);
}

export async function listCampaigns(db: Kysely<Database>) {
  return listAll(db);
}

function toRow(input: Partial<CreateCampaignInput>) {
  return {
    ...(input.slug !== undefined && { slug: input.slug }),
    ...(input.title !== undefined && { title: input.title }),
    ...(input.headline !== undefined && { headline: input.headline }),
    ...(input.message !== undefined && { message: input.message }),
    ...(input.currency !== undefined && { currency: input.currency }),
    ...(input.goal !== undefined && { goal: input.goal }),
    ...(input.goals !== undefined && { goal: input.goals[0]!, stretch_goals: JSON.stringify(input.goals.slice(1)) }),
    ...(input.startsAt !== undefined && { starts_at: input.startsAt }),
    ...(input.endsAt !== undefined && { ends_at: input.endsAt }),
    ...(input.presets !== undefined && { presets: JSON.stringify(input.presets) }),
    ...(input.allowedOrigins !== undefined && { allowed_origins: JSON.stringify([...new Set(input.allowedOrigins)]) }),
    ...(input.feeRate !== undefined && { fee_rate_ppm: input.feeRate.ppm }),
    ...(input.feeFixed !== undefined && { fee_fixed: input.feeFixed }),
    ...(input.frequency !== undefined && {
      frequency_impressions: input.frequency?.impressions ?? null,
      frequency_days: input.frequency?.days ?? null,
    }),
    ...(input.match !== undefined && {
      match_ratio_ppm: input.match ? input.match.ratio.ppm : null,
      match_cap: input.match ? input.match.cap : null,
    }),
  };
}

/** The follow-on campaign by slug (null clears it): another existing campaign, never itself. */
async function setFollowOn(trx: Kysely<Database>, campaignId: number, slug: string | null) {
  let followOnId: number | null = null;
  if (slug !== null) {
    const next = await trx.selectFrom('campaigns').where('slug', '=', slug).select('id').executeTakeFirst();
    if (!next) throw new AppError('invalid_request', 400, `followOn: there is no campaign "${slug}"`, 'followOn');
    if (next.id === campaignId) throw new AppError('invalid_request', 400, 'followOn must be another campaign', 'followOn');
    followOnId = next.id;
  }
  await trx.updateTable('campaigns').set({ follow_on_id: followOnId }).where('id', '=', campaignId).execute();
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

export async function createCampaign(db: Kysely<Database>, input: CreateCampaignInput): Promise<CampaignWithTotals> {
  try {
    await db.transaction().execute(async (trx) => {
      const row = toRow(input);
      const { id } = await trx
        .insertInto('campaigns')
        .values({
          ...row,
          slug: input.slug,
          title: input.title,
          headline: input.headline,
          message: input.message,
          currency: input.currency,
          goal: input.goals?.[0] ?? input.goal,
          starts_at: input.startsAt,
          ends_at: input.endsAt,
          presets: JSON.stringify(input.presets),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('campaign_totals').values({ campaign_id: id }).execute();
      if (input.followOn) await setFollowOn(trx, id, input.followOn);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('slug_taken', 409, `A campaign with slug "${input.slug}" already exists`, 'slug');
    throw err;
  }
  return getCampaign(db, input.slug);
}

/**
 * Edits a campaign in one ledger transaction holding its row: new dates re-decide which payments
 * fall inside the half-open window (SPEC §5) before anyone reads the new totals, and a payment
 * being recorded at the same moment waits for the row (recordPayment reads it FOR SHARE).
 */
export async function updateCampaign(
  db: Kysely<Database>,
  slug: string,
  input: UpdateCampaignInput,
  now: Date,
  deps: LedgerDeps = {},
): Promise<{ before: CampaignWithTotals; after: CampaignWithTotals }> {
  try {
    return await withLedger(db, deps, async (ledger) => {
      const trx = ledger.trx;
      const locked = await trx.selectFrom('campaigns').where('slug', '=', slug).select('id').forUpdate().executeTakeFirst();
      if (!locked) throw notFound('Campaign');
      const before = await getCampaign(trx, slug);
      const starts = input.startsAt ?? before.starts_at;
      const ends = input.endsAt ?? before.ends_at;
      if (ends <= starts) throw new AppError('invalid_request', 400, 'endsAt must be after startsAt', 'endsAt');
      if (input.currency && input.currency !== before.currency) {
        // Payments count only in the campaign's currency, and a checkout started in the old one
        // may still be paid (sessions live 24 h, bank debits settle for days): refuse the switch
        // once any gift that is not failed or expired exists.
        const live = await trx
          .selectFrom('gifts')
          .where('campaign_id', '=', before.id)
          .where('status', 'not in', ['failed', 'expired'])
          .select('id')
          .limit(1)
          .executeTakeFirst();
        if (live) throw new AppError('invalid_request', 400, 'currency cannot change once the campaign has gifts', 'currency');
      }
      const row = {
        ...toRow(input),
        ...(input.archived !== undefined && { archived_at: input.archived ? (before.archived_at ?? now) : null }),
        updated_at: now,
      };
      // A new first goal must stay below the stretch goals that follow it.
      if (input.goal !== undefined && input.goals === undefined && before.stretch_goals.length && input.goal >= before.stretch_goals[0]!) {
        throw new AppError('invalid_request', 400, 'goal must stay below the next stretch goal; send goals to change them all', 'goal');
      }
      await trx.updateTable('campaigns').set(row).where('id', '=', before.id).execute();
      if (input.followOn !== undefined) await setFollowOn(trx, before.id, input.followOn);
      if (starts.getTime() !== before.starts_at.getTime() || ends.getTime() !== before.ends_at.getTime()) {
        await ledger.recomputeCampaignWindow(before.id);
      }
      return { before, after: await getCampaign(trx, input.slug ?? slug) };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('slug_taken', 409, `A campaign with slug "${input.slug}" already exists`, 'slug');
    throw err;
  }
}
