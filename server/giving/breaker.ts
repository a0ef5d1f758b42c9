import { type Kysely, sql } from 'kysely';
import Stripe from 'stripe';
import type { BreakerReason, BreakerState, PaymentsStatus } from '../../common/api.js';
import type { Database } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';

/**
 * The payments breaker (SPEC §13): one row in the database, so every instance agrees on whether
 * gifts can be taken online. It opens when Stripe cannot take money (a connection error, a 5xx, a
 * revoked key, an account whose charges are disabled) or when an owner turns on pledge mode; it
 * never opens on the donor's own 4xx or on a 429 (that is our own pace, not an outage). A probe
 * (runProbe, scheduled by scheduleBreakerProbe) closes it when Stripe answers again.
 */

export type BreakerDeps = Pick<AppDeps, 'db' | 'stripe' | 'clock' | 'bus' | 'log'>;

/** How often the probe asks Stripe while payments are down, and while they are up. */
export const PROBE_WHILE_OPEN_MS = 30_000;
export const PROBE_WHILE_CLOSED_MS = 5 * 60_000;

/** The row's state before anything was ever written (the column defaults of migration 0018). */
const UNTOUCHED = {
  open: false,
  reason: null,
  detail: null,
  pledge_mode: false,
  changed_at: null,
  last_probe_at: null,
  last_probe_ok: null,
  last_probe_error: null,
  other_ways: '',
  pledge_retention_days: 90,
} as const;

/**
 * The one row is made by the first write, not by the migration (a migrated database holds no
 * rows until it is used, which `npm run import` relies on). Every writer calls this first.
 */
export async function ensureBreakerRow(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('payments_breaker')
    .values({ id: 1 })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function readBreaker(db: Kysely<Database>): Promise<BreakerState> {
  const r = (await db.selectFrom('payments_breaker').selectAll().where('id', '=', 1).executeTakeFirst()) ?? UNTOUCHED;
  return {
    open: r.open || r.pledge_mode,
    reason: r.pledge_mode ? 'pledge_mode' : r.reason,
    detail: r.detail,
    pledgeMode: r.pledge_mode,
    changedAt: r.changed_at?.toISOString() ?? null,
    lastProbeAt: r.last_probe_at?.toISOString() ?? null,
    lastProbeOk: r.last_probe_ok,
    lastProbeError: r.last_probe_error,
    otherWays: r.other_ways,
    pledgeRetentionDays: r.pledge_retention_days,
  };
}

/**
 * Which failures mean "Stripe cannot take money now". A 4xx about the request (the donor's e-mail,
 * an amount Stripe refuses) and a 429 say nothing about an outage: null. A 4xx that is not about
 * the request may be a disabled account: the caller asks Stripe (chargesDisabled) before deciding.
 */
export type OutageReason = Exclude<BreakerReason, 'pledge_mode'>;

export function outageReason(err: unknown): OutageReason | 'maybe_account' | null {
  if (err instanceof Stripe.errors.StripeConnectionError) return 'connection';
  if (err instanceof Stripe.errors.StripeRateLimitError) return null;
  if (err instanceof Stripe.errors.StripeAuthenticationError) return 'auth';
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    if (status >= 500 || err instanceof Stripe.errors.StripeAPIError) return 'stripe_5xx';
    if (status === 429) return null;
    // A refusal that names a parameter is about what was sent; one without may be the account.
    if (err instanceof Stripe.errors.StripeInvalidRequestError && !err.param) return 'maybe_account';
    if (err instanceof Stripe.errors.StripePermissionError) return 'maybe_account';
    return null;
  }
  // Not a Stripe error at all (a socket reset below the SDK): a connection problem.
  return err instanceof Error && /ECONNRE|ETIMEDOUT|ENOTFOUND|fetch failed|socket/i.test(err.message) ? 'connection' : null;
}

function describe(err: unknown): string {
  const e = err as { type?: string; statusCode?: number; message?: string };
  return `${e.type ?? 'Error'}${e.statusCode ? ` ${e.statusCode}` : ''}: ${String(e.message ?? err).slice(0, 300)}`;
}

/** Asks Stripe for the account itself: does it take charges? Throws what the SDK throws. */
async function accountTakesCharges(stripe: Stripe): Promise<boolean> {
  const account = await stripe.accounts.retrieveCurrent(undefined, { maxNetworkRetries: 0, timeout: 10_000 });
  return account.charges_enabled !== false;
}

/** Opens the breaker (once: a second opener changes nothing) and tells every banner. */
export async function openBreaker(deps: BreakerDeps, reason: Exclude<BreakerReason, 'pledge_mode'>, detail: string): Promise<boolean> {
  const now = deps.clock();
  const opened = await deps.db.transaction().execute(async (trx) => {
    await ensureBreakerRow(trx);
    const row = await trx
      .updateTable('payments_breaker')
      .set({ open: true, reason, detail, changed_at: now, next_probe_at: new Date(now.getTime() + PROBE_WHILE_OPEN_MS) })
      .where('id', '=', 1)
      .where('open', '=', false)
      .returning('pledge_mode')
      .executeTakeFirst();
    if (!row) return false;
    await trx.insertInto('payments_breaker_log').values({ at: now, event: 'opened', reason, detail, admin_id: null }).execute();
    return true;
  });
  if (opened) {
    deps.log.warn({ reason, detail }, 'payments breaker opened: the banner collects pledges until Stripe answers again');
    await deps.bus.notify(deps.db, 0);
  }
  return opened;
}

async function closeBreaker(deps: BreakerDeps, detail: string): Promise<boolean> {
  const now = deps.clock();
  const closed = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('payments_breaker')
      .set({ open: false, reason: null, detail: null, changed_at: now, next_probe_at: new Date(now.getTime() + PROBE_WHILE_CLOSED_MS) })
      .where('id', '=', 1)
      .where('open', '=', true)
      .returning('pledge_mode')
      .executeTakeFirst();
    if (!row) return false;
    await trx.insertInto('payments_breaker_log').values({ at: now, event: 'closed', reason: null, detail, admin_id: null }).execute();
    return true;
  });
  if (closed) {
    deps.log.info({ detail }, 'payments breaker closed: online gifts are back');
    await deps.bus.notify(deps.db, 0);
  }
  return closed;
}

/**
 * Called with what a Stripe call threw while taking a gift. Returns true when it was an outage
 * (the breaker is now open), false when the failure was about this request only.
 */
export async function reportStripeFailure(deps: BreakerDeps, err: unknown): Promise<boolean> {
  const reason = outageReason(err);
  if (!reason) return false;
  if (reason !== 'maybe_account') {
    await openBreaker(deps, reason, describe(err));
    return true;
  }
  try {
    if (await accountTakesCharges(deps.stripe)) return false;
    await openBreaker(deps, 'charges_disabled', `The Stripe account does not accept charges (${describe(err)})`);
    return true;
  } catch (checkErr) {
    const again = outageReason(checkErr);
    if (again && again !== 'maybe_account') {
      await openBreaker(deps, again, describe(checkErr));
      return true;
    }
    return false;
  }
}

export async function setPledgeMode(deps: BreakerDeps, on: boolean, adminId: number): Promise<void> {
  const now = deps.clock();
  const changed = await deps.db.transaction().execute(async (trx) => {
    await ensureBreakerRow(trx);
    const row = await trx
      .updateTable('payments_breaker')
      .set({ pledge_mode: on, changed_at: now })
      .where('id', '=', 1)
      .where('pledge_mode', '=', !on)
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await trx
      .insertInto('payments_breaker_log')
      .values({
        at: now,
        event: on ? 'pledge_mode_on' : 'pledge_mode_off',
        reason: on ? 'pledge_mode' : null,
        detail: null,
        admin_id: adminId,
      })
      .execute();
    return true;
  });
  if (changed) await deps.bus.notify(deps.db, 0);
}

/**
 * One probe: asks Stripe for the account. Answered and taking charges → close; unreachable, 5xx
 * or charges disabled → open. A 429 or another 4xx changes nothing (Stripe answered; it is not an
 * outage, and the next probe asks again). `force` skips the shared schedule (admin's "check now").
 */
export async function runProbe(deps: BreakerDeps, opts: { force?: boolean } = {}): Promise<'skipped' | 'up' | 'down' | 'unknown'> {
  const now = deps.clock();
  // Claim this interval's probe: with N instances, one asks Stripe.
  await ensureBreakerRow(deps.db);
  const claim = deps.db
    .updateTable('payments_breaker')
    .set({
      next_probe_at: sql<Date>`case when open or pledge_mode then ${new Date(now.getTime() + PROBE_WHILE_OPEN_MS)}::timestamptz else ${new Date(now.getTime() + PROBE_WHILE_CLOSED_MS)}::timestamptz end`,
    })
    .where('id', '=', 1);
  const claimed = await (opts.force ? claim : claim.where((eb) => eb.or([eb('next_probe_at', 'is', null), eb('next_probe_at', '<=', now)])))
    .returning('id')
    .executeTakeFirst();
  if (!claimed) return 'skipped';
  let ok: boolean;
  let error: string | null = null;
  let outcome: 'up' | 'down' | 'unknown';
  try {
    ok = await accountTakesCharges(deps.stripe);
    if (!ok) error = 'The Stripe account does not accept charges';
    outcome = ok ? 'up' : 'down';
  } catch (err) {
    ok = false;
    error = describe(err);
    const reason = outageReason(err);
    outcome = reason && reason !== 'maybe_account' ? 'down' : 'unknown';
    if (outcome === 'down') await openBreaker(deps, reason as OutageReason, error);
  }
  await deps.db
    .updateTable('payments_breaker')
    .set({ last_probe_at: now, last_probe_ok: ok, last_probe_error: error })
    .where('id', '=', 1)
    .execute();
  if (outcome === 'up') await closeBreaker(deps, 'Stripe answered the probe and the account takes charges');
  else if (outcome === 'down' && error && !ok && error.startsWith('The Stripe account')) await openBreaker(deps, 'charges_disabled', error);
  return outcome;
}

export async function breakerHistory(db: Kysely<Database>, limit = 50): Promise<PaymentsStatus['history']> {
  const rows = await db
    .selectFrom('payments_breaker_log as l')
    .leftJoin('admins as a', 'a.id', 'l.admin_id')
    .select(['l.id', 'l.at', 'l.event', 'l.reason', 'l.detail', 'a.email as admin'])
    .orderBy('l.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, at: r.at.toISOString(), event: r.event, reason: r.reason, detail: r.detail, admin: r.admin }));
}
