import type Stripe from 'stripe';
import type { AppDeps } from '../deps.js';
import { handlers } from './handlers.js';
import { processEvent } from './routes.js';

/**
 * The safety net behind webhooks (STRIPE.md "Missed webhooks"): Stripe retries a failed
 * delivery for three days, then gives up. This asks Stripe for the events of the types we
 * handle whose delivery did not succeed (it keeps 30 days) and records the ones we do not have,
 * through the same idempotent path as the webhook route. Events come from Stripe's API over our
 * own authenticated connection, so no signature is needed; duplicates stop at the event id.
 */
export async function reconcileMissedEvents(
  deps: AppDeps,
  opts: { sinceSeconds?: number } = {},
): Promise<{ seen: number; recorded: number }> {
  const since = Math.floor(deps.clock().getTime() / 1000) - (opts.sinceSeconds ?? 30 * 86400);
  const types = Object.keys(handlers) as Stripe.EventListParams['types'];
  let seen = 0;
  let recorded = 0;
  for await (const event of deps.stripe.events.list({ delivery_success: false, created: { gte: since }, types, limit: 100 })) {
    seen++;
    const known = await deps.db.selectFrom('stripe_events').where('id', '=', event.id).select('id').executeTakeFirst();
    if (known) continue;
    const result = await processEvent(deps, event, JSON.stringify(event));
    if (!result.duplicate) recorded++;
  }
  if (recorded) deps.log.warn({ seen, recorded }, 'reconciled webhook events that had not been delivered');
  return { seen, recorded };
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
      deps.log.warn({ err: (err as Error).message }, 'webhook reconciliation failed; will retry');
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
