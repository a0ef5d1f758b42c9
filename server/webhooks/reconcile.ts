import type { AppDeps } from '../deps.js';
import { reconcilePeriod } from '../reconcile/period.js';
import { type LockHandle, runReconciliation } from '../reconcile/run.js';

const DAY_MS = 86_400_000;

/**
 * The safety net behind webhooks (STRIPE.md "Missed webhooks"): the events Stripe could not
 * deliver in the last `sinceSeconds` (30 days by default) and the stored events that failed,
 * through the same path as the webhook route. The whole of it, any period included, is
 * server/reconcile/period.ts; this is its short form.
 */
export async function reconcileMissedEvents(
  deps: AppDeps,
  opts: { sinceSeconds?: number } = {},
): Promise<{ seen: number; recorded: number; retried: number }> {
  const now = deps.clock();
  const report = await reconcilePeriod(deps, { since: new Date(now.getTime() - (opts.sinceSeconds ?? 30 * 86_400) * 1000), until: now });
  if (report.recovered) deps.log.warn({ recovered: report.recovered }, 'reconciled webhook events that had not been applied');
  return { seen: report.events.seen, recorded: report.events.recorded, retried: report.retried.recorded };
}

/**
 * Runs shortly after start and then every hour, on one instance at a time (server/reconcile/
 * run.ts). Each run covers the time since the last successful one (less a day of overlap), at
 * most the events API's 30 days, so a server that was down for a week catches up on start. A
 * failure is logged and recorded; the next round tries again.
 */
export function scheduleReconciliation(deps: AppDeps, database: LockHandle, everyMs = 3600_000): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const now = deps.clock();
      const last = await deps.db
        .selectFrom('reconciliation_runs')
        .where('status', '=', 'ok')
        .select('until')
        .orderBy('until', 'desc')
        .limit(1)
        .executeTakeFirst();
      const floor = now.getTime() - 30 * DAY_MS;
      const since = new Date(Math.max(floor, last ? last.until.getTime() - DAY_MS : floor));
      const result = await runReconciliation(deps, database, { since, until: now, trigger: 'schedule' });
      if (result.ran && result.report.recovered)
        deps.log.warn(
          { recovered: result.report.recovered, lines: result.report.lines.slice(0, 20) },
          'reconciliation recovered what webhooks missed',
        );
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
