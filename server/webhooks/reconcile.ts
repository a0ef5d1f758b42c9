import type { AppDeps } from '../deps.js';
import { HANDLED_TYPES } from './handlers.js';
import { processEvent } from './routes.js';

/** Stored events that failed are tried again this many times, then left for the admin. */
const MAX_ATTEMPTS = 50;

/**
 * The safety net behind webhooks (STRIPE.md "Missed webhooks"), through the same path as the
 * webhook route (handler → ledger):
 * 1. events Stripe could not deliver (it keeps 30 days) that we have not applied. The events API
 *    renders each event in the version current at its creation, so most come in another API
 *    version: processEvent re-reads their objects before applying anything.
 * 2. events we stored as `failed` (an object could not be read, the database hiccuped): tried
 *    again from their stored payload.
 * An event that is stored but not applied is never skipped as a duplicate.
 */
export async function reconcileMissedEvents(
  deps: AppDeps,
  opts: { sinceSeconds?: number } = {},
): Promise<{ seen: number; recorded: number; retried: number }> {
  const since = Math.floor(deps.clock().getTime() / 1000) - (opts.sinceSeconds ?? 30 * 86400);
  let seen = 0;
  let recorded = 0;
  // Stripe takes at most 20 types per list request: ask in groups.
  for (let i = 0; i < HANDLED_TYPES.length; i += 20) {
    for await (const event of deps.stripe.events.list({
      delivery_success: false,
      created: { gte: since },
      types: HANDLED_TYPES.slice(i, i + 20),
      limit: 100,
    })) {
      seen++;
      const result = await processEvent(deps, event, JSON.stringify(event));
      if (!result.duplicate && result.outcome !== 'failed') recorded++;
    }
  }
  let retried = 0;
  const failed = await deps.db
    .selectFrom('stripe_events')
    .where('outcome', '=', 'failed')
    .where('attempts', '<', MAX_ATTEMPTS)
    .select(['id', 'payload'])
    .orderBy('created')
    .orderBy('id')
    .limit(500)
    .execute();
  for (const row of failed) {
    const payload = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
    const result = await processEvent(deps, typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload, payload);
    if (result.outcome !== 'failed') retried++;
  }
  if (recorded || retried) deps.log.warn({ seen, recorded, retried }, 'reconciled webhook events that had not been applied');
  return { seen, recorded, retried };
}

/** Runs the reconciliation shortly after start and then every hour; a failure waits for the next round. */
export function scheduleReconciliation(deps: AppDeps, everyMs = 3600_000): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await reconcileMissedEvents(deps);
    } catch (err) {
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook reconciliation failed; will retry');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(run, 15_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
