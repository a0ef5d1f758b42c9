import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * Server-side plan reuse on PostgreSQL (issue 12). Planning a statement costs the server about
 * twice what executing a ledger insert does, and on a busy small machine PostgreSQL's CPU is what
 * bounds webhooks per second. So the pool handed to Kysely sends a statement whose text it has
 * seen before as a named prepared statement: node-postgres parses it once per connection and then
 * only binds and executes it (PostgreSQL keeps the plan, generic or custom as it judges).
 *
 * What is prepared: a single DML statement (select, insert, update, delete, with) Kysely issues,
 * with at most MAX_PARAMS parameters (bulk inserts of a backup import are not), once the pool has
 * seen its exact text PREPARE_AFTER times. Never DDL, transaction control or a cursor. Each
 * connection keeps at most PER_CONNECTION statements; the least recently used one is deallocated
 * (only between transactions) when a new one needs room.
 *
 * A statement whose result columns change under it (`select *` or `returning *` after a
 * migration adds a column) fails with "cached plan must not change result type" (0A000). The text
 * then gets a new name on every connection of the pool; outside a transaction the statement is
 * run again at once, inside one the error stands (the transaction is aborted; withLedger retries
 * it, see isStalePlan).
 *
 * DATABASE_PREPARED_STATEMENTS=off turns all this off (PgBouncer in transaction mode and other
 * poolers that move a session's statements between server connections).
 */

export const PREPARE_AFTER = 2;
export const PER_CONNECTION = 100;
const MAX_PARAMS = 256;
const MAX_TEXTS = 2000;
const DML = /^\s*(select|insert|update|delete|with)\b/i;

/** The error PostgreSQL gives when a prepared statement's result columns changed since it was
 * prepared. Safe to retry: nothing ran. */
export function isStalePlan(err: unknown): boolean {
  return (
    err instanceof Error && (err as { code?: unknown }).code === '0A000' && err.message.includes('cached plan must not change result type')
  );
}

interface Text {
  seen: number;
  hash: string;
  /** Bumped when a plan went stale: the next name is a new statement on every connection. */
  generation: number;
}

interface Connection {
  /** Names prepared on this connection, least recently used first. */
  names: Map<string, true>;
}

type Parsed = { connection?: { parsedStatements?: Record<string, string> } };

export interface PreparingPool extends PostgresPool {
  /** Counters for tests and benchmarks. */
  readonly stats: { prepared: number; reused: number; unprepared: number; stale: number; deallocated: number };
}

export function preparingPool(pool: pg.Pool): PreparingPool {
  const texts = new Map<string, Text>();
  const connections = new WeakMap<pg.PoolClient, Connection>();
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const stats = { prepared: 0, reused: 0, unprepared: 0, stale: 0, deallocated: 0 };

  const nameOf = (text: string, values: readonly unknown[]): { name: string; entry: Text } | undefined => {
    if (values.length > MAX_PARAMS || !DML.test(text) || text.includes(';')) return undefined;
    let entry = texts.get(text);
    if (!entry) {
      if (texts.size >= MAX_TEXTS) texts.clear(); // a flood of one-off texts: start counting again
      entry = { seen: 0, hash: '', generation: 0 };
      texts.set(text, entry);
    }
    if (++entry.seen < PREPARE_AFTER) return undefined;
    if (!entry.hash) entry.hash = createHash('sha1').update(text).digest('hex').slice(0, 24);
    return { name: `gs_${entry.hash}_${entry.generation}`, entry };
  };

  /** Whether node-postgres holds `name` as parsed on this client (it records a parse only once
   * PostgreSQL confirmed it, and forgets a parse that failed). */
  const parsedOn = (client: pg.PoolClient, name: string): boolean =>
    (client as unknown as Parsed).connection?.parsedStatements?.[name] !== undefined;

  /** Room for one more statement on this connection: false when full inside a transaction. */
  const makeRoom = async (client: pg.PoolClient, conn: Connection): Promise<boolean> => {
    if (conn.names.size < PER_CONNECTION) return true;
    if (client.getTransactionStatus() !== 'I') return false;
    const oldest = conn.names.keys().next().value as string;
    try {
      await client.query(`deallocate ${oldest}`);
    } catch {
      return false; // keep it counted; this statement runs unprepared
    }
    conn.names.delete(oldest);
    const parsed = (client as unknown as Parsed).connection?.parsedStatements;
    if (parsed) delete parsed[oldest];
    stats.deallocated++;
    return true;
  };

  const run = async (client: pg.PoolClient, text: string, values: readonly unknown[]) => {
    const named = nameOf(text, values);
    if (!named) return client.query(text, values as unknown[]);
    let conn = connections.get(client);
    if (!conn) {
      conn = { names: new Map() };
      connections.set(client, conn);
    }
    const { name, entry } = named;
    const known = conn.names.has(name);
    if (known) {
      // Most recently used now: a statement queued meanwhile on this connection cannot evict it.
      conn.names.delete(name);
      conn.names.set(name, true);
    } else if (!(await makeRoom(client, conn))) {
      stats.unprepared++;
      return client.query(text, values as unknown[]);
    }
    try {
      const result = await client.query({ name, text, values: values as unknown[] });
      if (known) stats.reused++;
      else stats.prepared++;
      return result;
    } catch (err) {
      if (isStalePlan(err)) {
        stats.stale++;
        // Every connection moves to a new name (once, however many of them hit it at once).
        if (`gs_${entry.hash}_${entry.generation}` === name) entry.generation++;
        if (client.getTransactionStatus() === 'I') return client.query(text, values as unknown[]);
      }
      throw err;
    } finally {
      // Prepared even when the execution failed (a constraint), or not at all when the parse
      // failed: follow node-postgres so the count of names on the server stays right.
      conn.names.delete(name);
      if (parsedOn(client, name)) conn.names.set(name, true);
    }
  };

  const wrap = (client: pg.PoolClient): PostgresPoolClient =>
    ({
      query(textOrCursor: unknown, values?: readonly unknown[]) {
        if (typeof textOrCursor !== 'string' || !values) return client.query(textOrCursor as never, values as never);
        return run(client, textOrCursor, values);
      },
      release: (destroy?: boolean) => client.release(destroy),
    }) as unknown as PostgresPoolClient;

  return {
    stats,
    async connect() {
      const client = await pool.connect();
      let w = wrappers.get(client);
      if (!w) {
        w = wrap(client);
        wrappers.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}
