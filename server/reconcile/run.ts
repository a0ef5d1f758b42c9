import type { DatabaseHandle } from '../../db/connect.js';
import type { AppDeps } from '../deps.js';
import { type ReconcileOptions, type ReconcileReport, reconcilePeriod } from './period.js';

/**
 * One reconciliation at a time across every instance: a session-level PostgreSQL advisory lock
 * held on a connection of its own for the whole run (the run's ledger transactions use the pool).
 * A second instance, or `npm run reconcile` while the schedule runs, finds the lock taken and
 * skips. PGlite is one process by construction (its data folder is locked), so an in-process
 * flag is the whole story there.
 */
const LOCK_KEY = 'groundswell:reconciliation';
const pgliteBusy = new WeakSet<object>();

export type LockHandle = Pick<DatabaseHandle, 'kind' | 'pool' | 'db'>;

export async function withReconciliationLock<T>(
  database: LockHandle,
  fn: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  if (database.kind === 'pglite' || !database.pool) {
    if (pgliteBusy.has(database.db)) return { ran: false };
    pgliteBusy.add(database.db);
    try {
      return { ran: true, value: await fn() };
    } finally {
      pgliteBusy.delete(database.db);
    }
  }
  const client = await database.pool.connect();
  try {
    const got = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [LOCK_KEY]);
    if (!got.rows[0]?.ok) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

export type RunResult = { ran: false } | { ran: true; report: ReconcileReport };

/**
 * A reconciliation under the lock, recorded in reconciliation_runs (what it covered, what it
 * recovered, or why it failed) for the admin's webhook health. A dry run records nothing.
 */
export async function runReconciliation(
  deps: AppDeps,
  database: LockHandle,
  opts: ReconcileOptions & { trigger: 'schedule' | 'cli' },
): Promise<RunResult> {
  const result = await withReconciliationLock(database, async () => {
    if (opts.dryRun) return reconcilePeriod(deps, opts);
    const row = await deps.db
      .insertInto('reconciliation_runs')
      .values({ trigger: opts.trigger, since: opts.since, until: opts.until, started_at: deps.clock(), status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      const report = await reconcilePeriod(deps, opts);
      await deps.db
        .updateTable('reconciliation_runs')
        .set({ status: 'ok', finished_at: deps.clock(), recovered: report.recovered, report: JSON.stringify(report) })
        .where('id', '=', row.id)
        .execute();
      return report;
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 500);
      await deps.db
        .updateTable('reconciliation_runs')
        .set({ status: 'failed', finished_at: deps.clock(), error: message })
        .where('id', '=', row.id)
        .execute()
        .catch(() => undefined);
      throw err;
    }
  });
  return result.ran ? { ran: true, report: result.value } : { ran: false };
}
