import type { AppDeps } from '../deps.js';
import { runProbe } from './breaker.js';
import { deleteExpiredPledges } from './pledges.js';

/**
 * The breaker's probe and the pledge deletions, on every instance every `everyMs`: the probe's
 * schedule lives in the database (payments_breaker.next_probe_at), so however many instances tick,
 * Stripe is asked once per interval.
 */
export function scheduleGivingJobs(deps: Pick<AppDeps, 'db' | 'stripe' | 'clock' | 'bus' | 'log'>, everyMs = 10_000): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await runProbe(deps);
      const deleted = await deleteExpiredPledges(deps.db, deps.clock());
      if (deleted) deps.log.info({ deleted }, 'pledges past their deletion date deleted');
    } catch (err) {
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'payments probe failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  const first = setTimeout(tick, 1_000);
  first.unref();
  return () => {
    clearInterval(timer);
    clearTimeout(first);
  };
}
