import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { StatementRun } from '../../db/schema/statements.js';
import { audit } from '../admin/audit.js';
import type { Config } from '../config.js';
import { ERASED_DOMAIN } from '../erasure/service.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { queueMail } from '../mail/queue.js';
import { getOrgSettings } from '../settings/service.js';
import { statementLink } from './links.js';
import { hasGiving, statementFor, yearBounds } from './service.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Default pace: a mail a second is gentle on any SMTP relay and its reputation. */
export const DEFAULT_PER_MINUTE = 60;

/** The calendar year in the organisation's zone at `now`. */
export function currentYear(now: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(now));
}

const donorsOfYear = (db: Db, year: number, bounds: { start: Date; end: Date }) =>
  db
    .selectFrom('payments')
    .where('paid_at', '>=', bounds.start)
    .where('paid_at', '<', bounds.end)
    .where('voided', '=', false)
    .where('donor_key', 'like', 'email:%')
    // Erased donors keep their place in the totals under an undeliverable pseudonym.
    .where('donor_key', 'not like', `%@${ERASED_DOMAIN}`);

export interface RunProgress {
  year: number;
  status: StatementRun['status'];
  perMinute: number;
  donors: number;
  queued: number;
  skipped: number;
  /** The statement mails of this year in the outbox, by status (sent, pending, failed...). */
  mail: Record<string, number>;
  createdAt: string;
  finishedAt: string | null;
}

async function progressOf(db: Db, run: StatementRun): Promise<RunProgress> {
  const rows = await db
    .selectFrom('mail_outbox')
    .where('fact_key', 'like', `statement:${run.year}:%`)
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .execute();
  return {
    year: run.year,
    status: run.status,
    perMinute: run.per_minute,
    donors: run.donors,
    queued: run.queued,
    skipped: run.skipped,
    mail: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
    createdAt: run.created_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
  };
}

export async function listRuns(db: Db): Promise<RunProgress[]> {
  const runs = await db.selectFrom('statement_runs').selectAll().orderBy('year', 'desc').execute();
  return Promise.all(runs.map((r) => progressOf(db, r)));
}

async function runOf(db: Db, year: number): Promise<StatementRun> {
  const run = await db.selectFrom('statement_runs').selectAll().where('year', '=', year).executeTakeFirst();
  if (!run) throw new AppError('not_found', 404, `No statement mailing for ${year}`);
  return run;
}

/**
 * An owner asks for the statements of a finished year to be sent (typically last year, in
 * January). One mailing per year: asking again resumes the same one, it never starts over, and
 * each donor's mail has the fact key statement:<year>:<email>, so no donor gets two.
 */
export async function startRun(
  db: Kysely<Database>,
  config: Pick<Config, 'org'>,
  input: { year: number; perMinute?: number | undefined },
  adminId: number | null,
  now: Date,
): Promise<RunProgress> {
  const { timeZone } = await getOrgSettings(db, config);
  if (input.year >= currentYear(now, timeZone)) {
    throw new AppError(
      'year_not_over',
      400,
      `The year ${input.year} is not over yet in ${timeZone}: statements cover whole years.`,
      'year',
    );
  }
  return db.transaction().execute(async (trx) => {
    const bounds = yearBounds(input.year, timeZone);
    const donors = await donorsOfYear(trx, input.year, bounds)
      .select(sql<number>`count(distinct donor_key)::int`.as('n'))
      .executeTakeFirstOrThrow();
    const perMinute = input.perMinute ?? DEFAULT_PER_MINUTE;
    const made = await trx
      .insertInto('statement_runs')
      .values({
        year: input.year,
        status: 'running',
        per_minute: perMinute,
        cursor: null,
        // One interval back: the first mail may go at once.
        last_at: new Date(now.getTime() - 60_000 / perMinute),
        donors: Number(donors.n),
        created_by: adminId,
        created_at: now,
      })
      .onConflict((oc) => oc.column('year').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (made) {
      await audit(trx, {
        adminId,
        action: 'statements.send',
        entity: 'organisation',
        entityId: input.year,
        after: { year: input.year, perMinute, donors: made.donors },
        at: now,
      });
      return progressOf(trx, made);
    }
    const run = await runOf(trx, input.year);
    if (run.status === 'paused') return setStatus(trx, input.year, 'running', adminId, now);
    return progressOf(trx, run);
  });
}

export async function setStatus(
  db: Db,
  year: number,
  status: 'running' | 'paused',
  adminId: number | null,
  now: Date,
): Promise<RunProgress> {
  const run = await runOf(db, year);
  if (run.status === 'done' || run.status === status) return progressOf(db, run);
  // Resuming does not let the pause's time count as saved-up allowance: the pace starts again now.
  const updated = await db
    .updateTable('statement_runs')
    .set({ status, ...(status === 'running' && { last_at: new Date(now.getTime() - 60_000 / run.per_minute) }) })
    .where('year', '=', year)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(db, {
    adminId,
    action: status === 'paused' ? 'statements.pause' : 'statements.resume',
    entity: 'organisation',
    entityId: year,
    at: now,
  });
  return progressOf(db, updated);
}

export interface StatementRunnerOptions {
  db: Kysely<Database>;
  config: Pick<Config, 'org' | 'orgName' | 'publicUrl'>;
  clock: () => Date;
  log: Logger;
  /** Mails one step may queue at most (the throttle's burst). */
  burst?: number;
  pollMs?: number;
}

/**
 * Queues the statement mails of running mailings at their pace (per_minute), a token bucket whose
 * clock (last_at) and position (cursor: donors are walked in donor-key order) are committed in the
 * same transaction as the mails a step queues. A restart, a crash mid-step or a second instance
 * therefore resumes exactly where the last committed step ended: the run row is taken with
 * FOR UPDATE SKIP LOCKED, so two instances never step the same mailing at once, and a mail queued
 * twice would be the same fact key anyway. Donors whose year was all given back are skipped.
 */
export function createStatementRunner(opts: StatementRunnerOptions) {
  const { db, config, clock, log } = opts;
  const burst = opts.burst ?? 20;
  const pollMs = opts.pollMs ?? 5_000;

  async function step(year: number): Promise<{ queued: number; done: boolean } | null> {
    return db.transaction().execute(async (trx) => {
      const run = await trx
        .selectFrom('statement_runs')
        .selectAll()
        .where('year', '=', year)
        .where('status', '=', 'running')
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!run) return null;
      const now = clock();
      const interval = 60_000 / run.per_minute;
      const from = Math.max(run.last_at.getTime(), now.getTime() - burst * interval);
      const allowance = Math.min(burst, Math.floor((now.getTime() - from) / interval));
      if (allowance <= 0) return { queued: 0, done: false };
      const { timeZone } = await getOrgSettings(trx, config);
      // Skipped donors cost no allowance; look a bounded way ahead so a step stays short.
      let q = donorsOfYear(trx, year, yearBounds(year, timeZone)).select('donor_key').distinct();
      if (run.cursor !== null) q = q.where('donor_key', '>', run.cursor);
      const candidates = await q
        .orderBy('donor_key')
        .limit(allowance * 4 + 10)
        .execute();
      let queued = 0;
      let skipped = 0;
      let cursor = run.cursor;
      for (const { donor_key } of candidates) {
        if (queued >= allowance) break;
        const email = donor_key.slice('email:'.length);
        const statement = await statementFor(trx, config, email, year);
        cursor = donor_key;
        if (!hasGiving(statement)) {
          skipped++;
          continue;
        }
        const url = await statementLink(trx, config, { email, year, now });
        await queueMail(trx, {
          kind: 'statement',
          to: email,
          factKey: `statement:${year}:${email}`,
          data: { year, url, totals: statement.totals.map((t) => ({ currency: t.currency, net: t.net, payments: t.payments })) },
          at: now,
        });
        queued++;
      }
      const done =
        candidates.length === 0 || (cursor === candidates[candidates.length - 1]?.donor_key && candidates.length < allowance * 4 + 10);
      await trx
        .updateTable('statement_runs')
        .set({
          cursor,
          last_at: new Date(from + queued * interval),
          queued: run.queued + queued,
          skipped: run.skipped + skipped,
          ...(done && { status: 'done', finished_at: now }),
        })
        .where('id', '=', run.id)
        .execute();
      return { queued, done };
    });
  }

  /** One step of every running mailing. */
  async function runOnce(): Promise<{ queued: number }> {
    const running = await db.selectFrom('statement_runs').select('year').where('status', '=', 'running').execute();
    let queued = 0;
    for (const { year } of running) {
      const r = await step(year);
      if (r?.done) log.info({ year }, 'statement mailing finished');
      queued += r?.queued ?? 0;
    }
    return { queued };
  }

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let stopped = false;
  return {
    runOnce,
    start() {
      stopped = false;
      const tick = () => {
        current = runOnce()
          .catch((err) => log.error({ err }, 'statement mailing step failed'))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, pollMs);
          });
      };
      timer = setTimeout(tick, pollMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
