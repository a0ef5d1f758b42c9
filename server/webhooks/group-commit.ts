import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type LedgerDeps, type StoredEvent, withLedger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import { type Applied, type ApplyContext, type HandledEvent, applyEvent, groupGiftLookups, lockIdsOf } from './handlers.js';

/**
 * Group commit for webhook events (issue 12). Events that arrive while a ledger transaction is
 * running queue up and are applied together in the next one: one BEGIN/COMMIT and one WAL flush,
 * the event rows claimed and finished in one statement each, each campaign's totals row and
 * donor rows updated once. Every event is answered only after the transaction holding it has
 * committed, so nothing is acknowledged before it is durable; a transaction that fails to commit
 * answers every event in it as failed (Stripe retries).
 *
 * When no event of a group can see another's writes (their gift lookups were read ahead,
 * Ledger.prefindGifts), the events run side by side and their paid checkouts' payments are
 * written in one statement (Ledger.together): about 6 round trips for a group of 8 instead of
 * 13. If anything fails side by side, the group is rolled back and runs again one event after
 * the other, which names the failing event.
 *
 * One bad event never fails the others: when an event's own work throws, the transaction is
 * rolled back, the other events are applied again without it, and it is applied alone (where
 * the error is recorded against it, as before batching). A rollback per bad event costs less
 * than a SAVEPOINT round trip per good one. Deadlocks and serialization failures retry the whole
 * group (withLedger); the work is idempotent.
 *
 * `lanes` groups may run at once (each on its own pooled connection): one lane would leave the
 * database idle while Node parses the next requests. A second lane opens only once `fill` events
 * wait: under a storm, groups of about 8 instead of 2 (bench/webhook-profile.ts: 3.8 → 2.5 round
 * trips per event, at the same or better rate); a lone event still starts at once.
 */

export interface Job {
  event: StoredEvent;
  /** The event to apply (objects already re-read); null for an event type we do not use. */
  prepared: HandledEvent | null;
  reread: boolean;
  /** A monthly gift's signed manage link, for the mails a fact causes. */
  manageUrl?: (giftId: string) => string;
}

export type JobResult = (Applied & { duplicate?: boolean }) | { error: unknown };

/** The error of one event inside a group: names the event, keeps the database's code (withLedger
 * retries deadlocks by it). */
class EventError extends Error {
  readonly code: string;
  constructor(
    readonly index: number,
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.code = cause instanceof Error && 'code' in cause ? String(cause.code) : '';
  }
}

/** A group run side by side failed: it runs again one event after the other. */
class TogetherFailed extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

interface Pending {
  job: Job;
  resolve(r: JobResult): void;
}

export interface GroupStats {
  groups: number;
  events: number;
  largest: number;
  /** Groups rolled back because one of their events failed (then applied without it). */
  isolations: number;
  /** Groups whose events ran side by side (their payments written in one statement). */
  together: number;
  /** Groups whose events failed side by side and ran again one after the other. */
  sequential: number;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private running = 0;
  /** Groups running now and the events in them (tests wait on it). */
  readonly inFlight = { groups: 0, events: 0 };
  readonly stats: GroupStats = { groups: 0, events: 0, largest: 0, isolations: 0, together: 0, sequential: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: LedgerDeps & { log: Pick<Logger, 'info' | 'warn'> },
    private readonly opts: { lanes: number; maxGroup: number; fill?: number },
  ) {}

  submit(job: Job): Promise<JobResult> {
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  private pump(): void {
    // While a group runs, the next one starts only with `fill` events waiting (or when the lane
    // frees): a storm is applied in fewer, fuller groups (fewer round trips per event).
    while (this.running < this.opts.lanes && this.queue.length && (this.running === 0 || this.queue.length >= (this.opts.fill ?? 1))) {
      // A redelivery of an event already in this group waits for the next one (and is then
      // answered as a duplicate): one statement cannot claim the same row twice.
      const group: Pending[] = [];
      const ids = new Set<string>();
      const rest: Pending[] = [];
      for (const p of this.queue) {
        if (group.length < this.opts.maxGroup && !ids.has(p.job.event.id)) {
          group.push(p);
          ids.add(p.job.event.id);
        } else rest.push(p);
      }
      this.queue = rest;
      this.running++;
      void this.run(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(group: Pending[]): Promise<void> {
    let results: JobResult[];
    this.inFlight.groups++;
    this.inFlight.events += group.length;
    try {
      results = await this.applyGroupOrIsolate(group.map((p) => p.job));
    } catch (err) {
      this.inFlight.groups--;
      this.inFlight.events -= group.length;
      if (err instanceof EventError && group.length > 1) {
        this.stats.isolations++;
        const bad = group[err.index]!;
        await this.run(group.filter((p) => p !== bad));
        await this.run([bad]);
        return;
      }
      // Nothing of this group committed (or it is unknown whether it did: then Stripe's retry
      // finds the applied row and answers duplicate).
      const cause = err instanceof EventError ? err.cause : err;
      for (const p of group) p.resolve({ error: cause });
      return;
    }
    this.inFlight.groups--;
    this.inFlight.events -= group.length;
    this.stats.groups++;
    this.stats.events += group.length;
    this.stats.largest = Math.max(this.stats.largest, group.length);
    group.forEach((p, i) => p.resolve(results[i]!));
  }

  /** The group with its events side by side (together), or, when that fails, one after the
   * other: which event failed, if one did, is only known then. */
  private async applyGroupOrIsolate(jobs: Job[]): Promise<JobResult[]> {
    try {
      const { results, together } = await this.applyGroup(jobs, true);
      if (together) this.stats.together++;
      return results;
    } catch (err) {
      if (!(err instanceof TogetherFailed)) throw err;
      this.stats.sequential++;
      return (await this.applyGroup(jobs, false)).results;
    }
  }

  private applyGroup(jobs: Job[], together: boolean): Promise<{ results: JobResult[]; together: boolean }> {
    return withLedger(this.db, this.deps, async (ledger) => {
      // The events claimed and the Stripe ids of every claimed one locked, in sorted order, in
      // one statement (see lockIdsOf).
      const claimed = await ledger.claimAndLock(
        jobs.map((j) => j.event),
        new Map(jobs.map((j) => [j.event.id, j.prepared ? lockIdsOf(j.prepared) : []])),
      );
      // The claimed checkouts' gifts read (and locked) in one statement, when no event of the
      // group can change what another's lookup finds (groupGiftLookups).
      const apart = await ledger.prefindGifts(groupGiftLookups(jobs.map((j) => (claimed.has(j.event.id) ? j.prepared : null))));
      const one = async (job: Job, i: number): Promise<JobResult> => {
        if (!claimed.has(job.event.id)) return { outcome: 'ignored', detail: 'duplicate event', duplicate: true };
        if (!job.prepared) {
          await ledger.finishEvent(job.event.id, 'ignored', 'event type not used', null);
          return { outcome: 'ignored', detail: 'event type not used' };
        }
        try {
          const ctx: ApplyContext = {
            ledger,
            reread: job.reread,
            log: this.deps.log,
            replay: (parked) => applyEvent(parked.type, parked, { ...ctx, reread: false }),
            ...(job.manageUrl && { manageUrl: job.manageUrl }),
          };
          const result = await applyEvent(job.prepared.type, job.prepared, ctx);
          if (result.conflict)
            this.deps.log.warn({ eventId: job.event.id, conflict: result.conflict }, 'metadata disagrees with Stripe ids; Stripe ids win');
          await ledger.finishEvent(job.event.id, result.outcome, result.detail ?? null, result.conflict ?? null);
          return result;
        } catch (err) {
          throw new EventError(i, err);
        }
      };
      if (together && apart) {
        // No event of the group reads what another writes: they run side by side and their
        // payments are written in one statement (Ledger.together). Any failure rolls the group
        // back and it runs again one event after the other, which names the failing event.
        const settled = await ledger.together(jobs.map((job, i) => () => one(job, i)));
        const out: JobResult[] = [];
        for (const r of settled) {
          if (r.status === 'rejected') throw new TogetherFailed(r.reason);
          out.push(r.value);
        }
        return { results: out, together: true };
      }
      const out: JobResult[] = [];
      for (const [i, job] of jobs.entries()) out.push(await one(job, i));
      return { results: out, together: false };
    });
  }
}

const committers = new WeakMap<Kysely<Database>, GroupCommitter>();

/** The committer of a database handle (one per app instance and database). On PGlite (one
 * connection) one group runs at a time; on PostgreSQL a few, each on its own connection. */
export function committerFor(
  db: Kysely<Database>,
  deps: LedgerDeps & { log: Pick<Logger, 'info' | 'warn'> },
  kind: 'postgres' | 'pglite',
): GroupCommitter {
  let c = committers.get(db);
  if (!c) {
    c = new GroupCommitter(db, deps, kind === 'pglite' ? { lanes: 1, maxGroup: 32, fill: 1 } : { lanes: 4, maxGroup: 32, fill: 8 });
    committers.set(db, c);
  }
  return c;
}

/** The committer of a database handle, if webhooks have used it (bench and tests read its stats). */
export const committerOf = (db: Kysely<Database>): GroupCommitter | undefined => committers.get(db);
