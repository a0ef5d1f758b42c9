import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LOCALES } from '../../common/i18n.js';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { checkAmount } from '../../common/money.js';
import type { Database } from '../../db/schema.js';
import { campaignStatus, getCampaign } from '../campaigns/service.js';
import { singleLine } from '../campaigns/schemas.js';
import { startCheckout } from '../checkout/service.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueMail } from '../mail/queue.js';
import { readBreaker } from './breaker.js';

/**
 * Pledges (SPEC §13): while online payments are down, a reader promises a gift and gives us an
 * e-mail for one purpose, stated when they consent. A pledge is never money: nothing here touches
 * the ledger's tables or the totals. When payments are back an owner sends every open pledger one
 * e-mail; its link makes a fresh Checkout Session (Checkout URLs expire in 24 h, so none is made
 * ahead of time), whose gift carries pledge_id so the dashboard can say how many pledges became gifts.
 */

export const pledgeSchema = z.strictObject({
  amount: z
    .number({ error: 'must be a number of minor units (cents)' })
    .int('must be a whole number of minor units (cents)')
    .positive('must be positive'),
  frequency: z.enum(['once', 'monthly'], { error: 'must be "once" or "monthly"' }),
  email: z.email('must be a valid e-mail address').max(254),
  name: singleLine(100)
    .optional()
    .transform((v) => v || undefined),
  /** The reader ticked the box that states the purpose and the deletion date. */
  consent: z.literal(true, { error: 'is required: we need your permission to e-mail you once' }),
  /** The reader's language (SPEC §13): the one e-mail and the Checkout it leads to use it. */
  locale: z.enum(LOCALES).optional(),
});
export type PledgeInput = z.infer<typeof pledgeSchema>;

/** What the reader agrees to, stored with the pledge word for word. */
export function consentText(deleteAfter: Date): string {
  return `We will e-mail you once, when you can complete this gift. If it is not completed, we delete this pledge and your e-mail address on ${deleteAfter.toISOString().slice(0, 10)}.`;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
export const PLEDGE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export async function createPledge(deps: Pick<AppDeps, 'db' | 'clock'>, slug: string, input: PledgeInput) {
  const { db } = deps;
  const now = deps.clock();
  const campaign = await getCampaign(db, slug);
  if (campaignStatus(campaign, now) !== 'open') throw new AppError('campaign_closed', 409, 'This campaign is not taking gifts or pledges');
  const breaker = await readBreaker(db);
  if (!breaker.open) {
    throw new AppError('payments_available', 409, 'Online payments are working again: you can give right away, no pledge needed.');
  }
  const problem = checkAmount(input.amount, input.amount, campaign.currency, 'en-US');
  if (problem) throw new AppError(problem.code, 400, problem.message, 'amount');
  const deleteAfter = new Date(now.getTime() + breaker.pledgeRetentionDays * 86_400_000);
  const id = randomUUID();
  await db
    .insertInto('pledges')
    .values({
      id,
      campaign_id: campaign.id,
      amount: input.amount,
      currency: campaign.currency,
      frequency: input.frequency,
      email: input.email.trim().toLowerCase(),
      name: input.name ?? null,
      consent_text: consentText(deleteAfter),
      locale: input.locale ?? null,
      delete_after: deleteAfter,
      created_at: now,
    })
    .execute();
  return { id, deleteAfter: deleteAfter.toISOString() };
}

/** Paid gifts made from a pledge's link: a pledge "became a gift" when one exists. */
const converted = (db: Kysely<Database>) =>
  db.selectFrom('gifts').where('status', '=', 'paid').where('pledge_id', 'is not', null).select('pledge_id');

export async function listPledges(db: Kysely<Database>, campaignId?: number) {
  let q = db
    .selectFrom('pledges as p')
    .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
    .select([
      'p.id',
      'p.amount',
      'p.currency',
      'p.frequency',
      'p.email',
      'p.name',
      'p.status',
      'p.invited_at',
      'p.delete_after',
      'p.created_at',
      'c.slug',
      sql<boolean>`p.id in (select g.pledge_id from gifts g where g.status = 'paid' and g.pledge_id is not null)`.as('converted'),
    ])
    .orderBy('p.created_at', 'desc')
    .limit(500);
  if (campaignId !== undefined) q = q.where('p.campaign_id', '=', campaignId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    campaign: r.slug,
    amount: r.amount,
    currency: r.currency,
    frequency: r.frequency,
    email: r.email,
    name: r.name,
    status: r.converted ? ('converted' as const) : r.status,
    invitedAt: r.invited_at?.toISOString() ?? null,
    deleteAfter: r.delete_after.toISOString(),
    createdAt: r.created_at.toISOString(),
  }));
}

/** Counts for the dashboard: pledged (never raised), e-mailed, became gifts and what those gifts raised. */
export async function pledgeSummary(db: Kysely<Database>, campaignId: number) {
  const p = await db
    .selectFrom('pledges')
    .where('campaign_id', '=', campaignId)
    .select([
      sql<number>`count(*)::int8`.as('pledges'),
      sql<number>`coalesce(sum(amount), 0)::int8`.as('pledged'),
      sql<number>`count(*) filter (where status = 'open')::int8`.as('open'),
      sql<number>`count(*) filter (where status = 'invited')::int8`.as('invited'),
    ])
    .executeTakeFirstOrThrow();
  const g = await db
    .selectFrom('gifts')
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'paid')
    .where('pledge_id', 'is not', null)
    .select([
      sql<number>`count(distinct pledge_id)::int8`.as('converted'),
      sql<number>`coalesce(sum(charge_amount), 0)::int8`.as('convertedAmount'),
    ])
    .executeTakeFirstOrThrow();
  return {
    pledges: Number(p.pledges),
    pledged: Number(p.pledged),
    open: Number(p.open),
    invited: Number(p.invited),
    converted: Number(g.converted),
    convertedAmount: Number(g.convertedAmount),
  };
}

/**
 * Sends every open pledger their one e-mail (SPEC §13): only once payments are back. Each pledge
 * is marked invited in the same transaction that queues its mail (fact `pledge.invite:<id>`), so a
 * second press, or two owners pressing at once, never sends anyone a second mail.
 */
export async function invitePledgers(deps: Pick<AppDeps, 'db' | 'clock'>): Promise<{ queued: number }> {
  const { db } = deps;
  const now = deps.clock();
  if ((await readBreaker(db)).open) {
    throw new AppError('payments_unavailable', 409, 'Online payments are still down: pledgers can be e-mailed once they are back');
  }
  return db.transaction().execute(async (trx) => {
    // Only pledge rows are locked (never campaign rows, which the ledger takes).
    const open = await trx
      .selectFrom('pledges')
      .where('status', '=', 'open')
      .where('delete_after', '>', now)
      .select(['id', 'campaign_id', 'email', 'name', 'amount', 'currency', 'frequency', 'delete_after', 'locale'])
      .forUpdate()
      .skipLocked()
      .execute();
    const ids = [...new Set(open.map((p) => p.campaign_id))];
    const titles = new Map(
      ids.length
        ? (await trx.selectFrom('campaigns').where('id', 'in', ids).select(['id', 'title']).execute()).map((c) => [c.id, c.title])
        : [],
    );
    let queued = 0;
    for (const p of open) {
      const token = randomBytes(32).toString('base64url');
      await trx
        .updateTable('pledges')
        .set({ status: 'invited', token_hash: hash(token), invited_at: now })
        .where('id', '=', p.id)
        .execute();
      const fresh = await queueMail(trx, {
        kind: 'pledge.invite',
        to: p.email,
        factKey: `pledge.invite:${p.id}`,
        data: {
          token,
          name: p.name,
          amount: p.amount,
          currency: p.currency,
          frequency: p.frequency,
          campaign: titles.get(p.campaign_id) ?? '',
          deleteAfter: p.delete_after.toISOString(),
          ...(p.locale && { locale: p.locale }),
        },
        at: now,
      });
      if (fresh) queued++;
    }
    return { queued };
  });
}

export async function findPledgeByToken(db: Kysely<Database>, token: string, now: Date) {
  if (!PLEDGE_TOKEN.test(token)) return undefined;
  const p = await db
    .selectFrom('pledges as p')
    .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
    .where('p.token_hash', '=', hash(token))
    .where('p.status', '=', 'invited')
    .where('p.delete_after', '>', now)
    .select(['p.id', 'p.amount', 'p.currency', 'p.frequency', 'p.email', 'p.name', 'p.locale', 'c.slug', 'c.title'])
    .executeTakeFirst();
  if (!p) return undefined;
  const paid = await converted(db).where('pledge_id', '=', p.id).executeTakeFirst();
  return { ...p, converted: paid !== undefined };
}

/** The pledge link's button: a fresh Checkout Session for the pledged gift. */
export async function completePledge(
  deps: Pick<AppDeps, 'db' | 'stripe' | 'config' | 'clock' | 'log' | 'bus'>,
  token: string,
  clientIp: string,
) {
  const p = await findPledgeByToken(deps.db, token, deps.clock());
  if (!p) throw new AppError('not_found', 404, 'This pledge link is not valid any more');
  if (p.converted) throw new AppError('already_given', 409, 'This pledge has already become a gift. Thank you!');
  return startCheckout(
    deps,
    p.slug,
    {
      amount: p.amount,
      frequency: p.frequency,
      email: p.email,
      name: p.name ?? undefined,
      coverFees: false,
      anonymous: false,
      comment: undefined,
      locale: p.locale ?? undefined,
    },
    { clientIp, pledgeId: p.id },
  );
}

/** The mail's List-Unsubscribe (and the page's second button): the pledge and its address are deleted. */
export async function withdrawPledge(db: Kysely<Database>, token: string): Promise<boolean> {
  if (!PLEDGE_TOKEN.test(token)) return false;
  const r = await db.deleteFrom('pledges').where('token_hash', '=', hash(token)).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes pledges past their deletion date that did not become gifts (the promise made at consent). */
export async function deleteExpiredPledges(db: Kysely<Database>, now: Date): Promise<number> {
  const r = await db
    .deleteFrom('pledges')
    .where('delete_after', '<=', now)
    .where(sql<boolean>`id not in (select g.pledge_id from gifts g where g.status = 'paid' and g.pledge_id is not null)`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
