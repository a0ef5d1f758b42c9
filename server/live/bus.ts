import type { PGlite } from '@electric-sql/pglite';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../logger.js';

export const PROGRESS_CHANNEL = 'groundswell_progress';

/**
 * Tells every server instance that a campaign's totals changed. The notification is sent with
 * pg_notify inside the transaction that moved the money, so PostgreSQL delivers it only on
 * commit (no subscriber ever reads uncommitted totals) and to every instance that LISTENs —
 * whichever instance took the money. PGlite implements LISTEN/NOTIFY too, so both databases use
 * the same path.
 */
export interface ProgressBus {
  /** Call inside the money transaction. */
  notify(db: Kysely<Database>, campaignId: number): Promise<void>;
  /** campaignId 0 means "anything may have changed" (after a reconnect). */
  subscribe(fn: (campaignId: number) => void): () => void;
  /** Tells this process's subscribers at once (the NOTIFY follows for everyone). */
  emitLocal(campaignId: number): void;
  close(): Promise<void>;
}

export async function notifyProgress(db: Kysely<Database>, campaignId: number): Promise<void> {
  await sql`select pg_notify(${PROGRESS_CHANNEL}, ${String(campaignId)})`.execute(db);
}

class Listeners {
  private fns = new Set<(id: number) => void>();
  add(fn: (id: number) => void) {
    this.fns.add(fn);
    return () => void this.fns.delete(fn);
  }
  emit(payload: string | undefined) {
    const id = Number(payload);
    if (!Number.isInteger(id)) return;
    for (const fn of this.fns) {
      try {
        fn(id);
      } catch {
        // a broken subscriber must not stop the others
      }
    }
  }
}

export function createPgliteBus(pglite: PGlite): ProgressBus {
  const listeners = new Listeners();
  const unlisten = pglite.listen(PROGRESS_CHANNEL, (payload) => listeners.emit(payload));
  return {
    notify: notifyProgress,
    subscribe: (fn) => listeners.add(fn),
    emitLocal: (id) => listeners.emit(String(id)),
    async close() {
      await (await unlisten)();
    },
  };
}

/** One dedicated connection LISTENs; if it drops (database restart) it reconnects with backoff. */
export function createPgBus(connectionString: string, log: Logger): ProgressBus {
  const listeners = new Listeners();
  let client: pg.Client | undefined;
  let closed = false;
  let delay = 500;
  const connectLoop = async () => {
    while (!closed) {
      const c = new pg.Client({ connectionString });
      try {
        c.on('notification', (msg) => msg.channel === PROGRESS_CHANNEL && listeners.emit(msg.payload));
        const lost = new Promise<void>((resolve) => {
          c.on('error', () => resolve());
          c.on('end', () => resolve());
        });
        await c.connect();
        await c.query(`LISTEN ${PROGRESS_CHANNEL}`);
        client = c;
        delay = 500;
        // Totals may have changed while we were not listening: tell everyone to re-read.
        listeners.emit('0');
        await lost;
      } catch (err) {
        if (!closed) log.warn({ err: (err as Error).message }, 'progress listener: cannot connect, retrying');
      }
      client = undefined;
      c.end().catch(() => {});
      if (closed) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void connectLoop();
  return {
    notify: notifyProgress,
    subscribe: (fn) => listeners.add(fn),
    emitLocal: (id) => listeners.emit(String(id)),
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
