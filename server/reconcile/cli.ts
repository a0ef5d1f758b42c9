/**
 * `npm run reconcile -- --since DATE [--until DATE] [--dry-run]`: reconciliation of any period
 * against Stripe from a shell (server/reconcile/period.ts), under the same one-at-a-time lock as
 * the server's schedule. Dates are ISO 8601 (2026-10-01 is midnight UTC). Prints what it found
 * and what it did; a second run finds nothing. Exit codes: 0 done, 1 failed, 2 bad arguments or
 * configuration, 3 another reconciliation is running.
 */
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { DatabaseInUseError } from '../../db/connect.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRuntime } from '../runtime.js';
import type { ReconcileReport } from './period.js';
import { runReconciliation } from './run.js';

export const USAGE = 'usage: npm run reconcile -- --since DATE [--until DATE] [--dry-run]   (DATE: ISO 8601, e.g. 2026-10-01)';

export class UsageError extends Error {}

/** Reads the arguments; throws UsageError with one line for anything wrong. */
export function parseReconcileArgs(argv: string[], now: Date): { since: Date; until: Date; dryRun: boolean } {
  const args = argv.filter((a) => a !== '--');
  let since: Date | undefined;
  let until: Date | undefined;
  let dryRun = false;
  const date = (flag: string, v: string | undefined) => {
    if (!v || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v))
      throw new UsageError(`${flag} needs a date such as 2026-10-01 or 2026-10-01T12:00:00Z (got ${JSON.stringify(v ?? '')})`);
    const d = new Date(/T| /.test(v) && !/(Z|[+-]\d{2}:?\d{2})$/.test(v) ? `${v}Z` : v);
    // Date() rolls 2026-02-30 over to March 2: the day must read back as written.
    if (Number.isNaN(d.getTime()) || (!/[+-]\d{2}:?\d{2}$/.test(v) && d.toISOString().slice(0, 10) !== v.slice(0, 10)))
      throw new UsageError(`${flag}: ${v} is not a real date`);
    return d;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--since') since = date('--since', args[++i]);
    else if (a.startsWith('--since=')) since = date('--since', a.slice(8));
    else if (a === '--until') until = date('--until', args[++i]);
    else if (a.startsWith('--until=')) until = date('--until', a.slice(8));
    else if (a === '--dry-run') dryRun = true;
    else throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
  }
  if (!since) throw new UsageError('--since is required');
  until ??= now;
  if (since >= until) throw new UsageError('--since must be before --until');
  if (since > now) throw new UsageError('--since is in the future');
  return { since, until, dryRun };
}

/** The report as a person reads it. */
export function formatReport(r: ReconcileReport): string[] {
  const out: string[] = [];
  out.push(`Reconciliation of ${r.since} → ${r.until}${r.dryRun ? ' (dry run: nothing was written)' : ''}`);
  if (r.objectsWindow) out.push(`  objects (beyond the events API's 30 days): ${r.objectsWindow.from} → ${r.objectsWindow.to}`);
  if (r.eventsWindow)
    out.push(
      `  events API: ${r.eventsWindow.from} → ${r.eventsWindow.to}${r.deliverySuccessFilter === false ? ' (no delivery_success filter here: read every event)' : ''}`,
    );
  const t = (name: string, x: { seen: number; missing: number; recorded: number }) =>
    `${name} ${x.seen} seen, ${x.missing} missing${r.dryRun ? '' : `, ${x.recorded} recorded`}`;
  const o = r.objects;
  if (r.objectsWindow)
    out.push(
      `  ${[t('checkout sessions', o.sessions), t('invoices', o.invoices), t('refunds', o.refunds), t('disputes', o.disputes), t('charges (fees)', o.charges), t('payouts', o.payouts)].join('; ')}`,
    );
  out.push(
    `  ${t('events', r.events)}${r.events.failed ? `, ${r.events.failed} could not be applied` : ''}; ${t('stored failed events', r.retried)}`,
  );
  if (r.rateLimited) out.push(`  Stripe asked us to slow down ${r.rateLimited} time(s) (429); waited and went on`);
  if (r.lines.length) {
    out.push(r.dryRun ? 'Missing:' : 'Found and fixed:');
    for (const l of r.lines) out.push(`  ${l}`);
  }
  out.push(
    r.recovered === 0
      ? 'Nothing missing: the ledger matches Stripe for this period.'
      : r.dryRun
        ? `${r.recovered} fact(s) missing; run again without --dry-run to record them.`
        : `Recovered ${r.recovered} fact(s).`,
  );
  return out;
}

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  let args: ReturnType<typeof parseReconcileArgs>;
  try {
    config = loadConfig();
    args = parseReconcileArgs(process.argv.slice(2), new Date());
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : err.message);
      return 2;
    }
    throw err;
  }
  if (config.emulator) {
    console.error(
      'Payments run on the built-in Stripe emulator, which lives in the server’s memory: there is nothing to reconcile from a shell (the server reconciles itself every hour). Set STRIPE_SECRET_KEY to reconcile with Stripe.',
    );
    return 2;
  }
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    // Logs go to stderr: stdout is the report.
    runtime = await createRuntime(config, { log: createLogger(config.logLevel, pino.destination(2)) });
  } catch (err) {
    if (err instanceof DatabaseInUseError || err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  try {
    const result = await runReconciliation(runtime.app.deps, runtime.database, { ...args, trigger: 'cli' });
    if (!result.ran) {
      console.error('Another reconciliation is running (the server’s schedule or another shell); try again when it has finished.');
      return 3;
    }
    for (const l of formatReport(result.report)) console.log(l);
    return 0;
  } catch (err) {
    console.error(`Reconciliation failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await runtime.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
