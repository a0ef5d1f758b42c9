import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { createLimiter } from '../lib/rate-limit.js';

/**
 * Card testing, per campaign (SPEC §13): bots that rotate addresses and e-mails slip under the
 * per-client limits, so each campaign also counts checkouts created (per minute) and failed
 * payments (per 10 minutes). When a count passes its limit:
 * - with a CAPTCHA configured (Turnstile or hCaptcha), the CAPTCHA is required on that campaign's
 *   checkouts for CAPTCHA_MINUTES, verified server-side over the provider's HTTP API;
 * - without one, the admin is alerted and nothing else changes: a stranger must never be able to
 *   stop all giving, so a velocity limit never refuses a donor by itself.
 */
type Deps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'log' | 'bus'>;

/** One alert per campaign per this long, however long the burst lasts. */
const ALERT_EVERY_MS = 10 * 60_000;

export function cardTestingGuard(deps: Deps) {
  const { db, config } = deps;
  const checkouts = createLimiter(db, {
    keyPrefix: 'campaign-checkouts',
    points: config.cardTesting.checkoutsPerMinute,
    durationSeconds: 60,
  });
  const failures = createLimiter(db, {
    keyPrefix: 'campaign-failures',
    points: config.cardTesting.failuresPer10Minutes,
    durationSeconds: 600,
  });

  /** Counts one event; true when the campaign just went over its limit. */
  const over = async (limiter: typeof checkouts, campaignId: number) => {
    try {
      await limiter.consume([`c:${campaignId}`], 'velocity');
      return false;
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') return true;
      throw err;
    }
  };

  async function trip(campaignId: number, what: string) {
    const now = deps.clock();
    const captcha = config.cardTesting.captcha;
    const row = await db.selectFrom('card_testing').where('campaign_id', '=', campaignId).selectAll().executeTakeFirst();
    const captchaUntil = captcha ? new Date(now.getTime() + captcha.minutes * 60_000) : null;
    const wasOn = !!row?.captcha_until && row.captcha_until > now;
    // Whether this trip raises the alert is decided by the write itself, not by the read above:
    // a burst trips many requests at once, and only the one whose insert or conditional update
    // takes the row (PostgreSQL re-checks the WHERE after the row lock) alerts.
    const first = await db
      .insertInto('card_testing')
      .values({ campaign_id: campaignId, captcha_until: captchaUntil, tripped_at: now, trips: 1 })
      .onConflict((oc) => oc.column('campaign_id').doNothing())
      .returning('campaign_id')
      .executeTakeFirst();
    const again = first
      ? undefined
      : await db
          .updateTable('card_testing')
          .set((eb) => ({ tripped_at: now, trips: eb('trips', '+', 1), ...(captchaUntil && { captcha_until: captchaUntil }) }))
          .where('campaign_id', '=', campaignId)
          .where((eb) => eb.or([eb('tripped_at', 'is', null), eb('tripped_at', '<=', new Date(now.getTime() - ALERT_EVERY_MS))]))
          .returning('campaign_id')
          .executeTakeFirst();
    const alertDue = !!first || !!again;
    if (!alertDue && captchaUntil) {
      await db.updateTable('card_testing').set({ captcha_until: captchaUntil }).where('campaign_id', '=', campaignId).execute();
    }
    if (!alertDue) return;
    const message = captcha
      ? `Possible card testing: ${what}. The CAPTCHA is required on this campaign's checkouts until ${captchaUntil!.toISOString()}.`
      : `Possible card testing: ${what}. No CAPTCHA is configured (CAPTCHA_PROVIDER), so donors are not slowed down; watch Stripe's Radar and consider configuring one.`;
    await db.insertInto('admin_alerts').values({ kind: 'card_testing', campaign_id: campaignId, message, created_at: now }).execute();
    deps.log.warn({ campaignId, what, captcha: !!captcha }, 'card-testing velocity limit tripped');
    // The widget learns through the progress feed that the CAPTCHA is now required.
    if (captcha && !wasOn) await deps.bus.notify(db, campaignId);
  }

  return {
    /** Before a Checkout Session is made: counts it, and refuses it without a valid CAPTCHA while one is required. */
    async checkout(campaignId: number, captchaToken: string | undefined, clientIp: string) {
      if (await over(checkouts, campaignId))
        await trip(campaignId, `more than ${config.cardTesting.checkoutsPerMinute} checkouts in a minute`);
      const captcha = config.cardTesting.captcha;
      if (!captcha || !(await captchaRequired(db, campaignId, deps.clock()))) return;
      if (!captchaToken) {
        throw new AppError('captcha_required', 403, 'Please complete the security check, then try again.', 'captchaToken');
      }
      const ok = await verifyCaptcha(captcha, captchaToken, clientIp, deps.log);
      if (!ok) throw new AppError('captcha_failed', 403, 'The security check did not pass; please try it again.', 'captchaToken');
    },
    /** A payment failed (a declined card): counted per campaign. */
    async failedPayment(campaignSlug: string) {
      const c = await db.selectFrom('campaigns').where('slug', '=', campaignSlug).select('id').executeTakeFirst();
      if (!c) return;
      if (await over(failures, c.id))
        await trip(c.id, `more than ${config.cardTesting.failuresPer10Minutes} failed payments in 10 minutes`);
    },
  };
}

export type CardTestingGuard = ReturnType<typeof cardTestingGuard>;

export async function captchaRequired(db: Kysely<Database>, campaignId: number, now: Date): Promise<boolean> {
  const row = await db.selectFrom('card_testing').where('campaign_id', '=', campaignId).select('captcha_until').executeTakeFirst();
  return !!row?.captcha_until && row.captcha_until > now;
}

/**
 * Turnstile and hCaptcha share the siteverify shape: a form POST of secret + response (+ remoteip)
 * answered with {"success": bool}. If the provider cannot be reached the check is skipped (logged):
 * its outage must not become ours, and the per-client limits still hold.
 */
export async function verifyCaptcha(
  captcha: { verifyUrl: string; secret: string },
  token: string,
  clientIp: string,
  log: Pick<AppDeps['log'], 'warn'>,
): Promise<boolean> {
  if (token.length > 4096) return false;
  const body = new URLSearchParams({ secret: captcha.secret, response: token });
  if (clientIp && clientIp !== 'unknown') body.set('remoteip', clientIp);
  try {
    const res = await fetch(captcha.verifyUrl, { method: 'POST', body, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const json = (await res.json()) as { success?: unknown };
    return json.success === true;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'CAPTCHA verification unreachable: checkout allowed');
    return true;
  }
}
