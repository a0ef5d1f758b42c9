import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { type PreparingPool, preparingPool } from './prepared.js';
import type { Database } from './schema.js';

/** int8/bigint columns hold money in minor units and counts: parse them to numbers, refusing
 * silently-rounded values (no real campaign reaches 2^53 cents). */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} is outside the safe integer range`);
  return n;
}
pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8);

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** The pg pool when on PostgreSQL (LISTEN/NOTIFY needs its own client), else undefined. */
  pool?: pg.Pool;
  /** The PGlite instance when embedded. */
  pglite?: PGlite;
  /** Plan reuse counters when statements are prepared (PostgreSQL, db/prepared.ts). */
  prepared?: PreparingPool['stats'];
  close(): Promise<void>;
}

export async function connect(opts: {
  databaseUrl?: string;
  dataDir: string;
  inMemory?: boolean;
  /** Named prepared statements for repeated queries on PostgreSQL (db/prepared.ts); default on.
   * Off behind PgBouncer in transaction mode (DATABASE_PREPARED_STATEMENTS=off). */
  preparedStatements?: boolean;
}): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // A dropped connection (database restart, failover) must not crash the process: the failing
    // query rejects on its own and the pool opens a new connection for the next one. pg-pool only
    // listens for errors on idle clients, so give every client a listener of its own too.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const preparing = opts.preparedStatements === false ? undefined : preparingPool(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing ?? pool }) });
    return { db, kind: 'postgres', pool, ...(preparing && { prepared: preparing.stats }), close: () => db.destroy() };
  }
  let dir: string | undefined;
  let unlock = () => {};
  if (!opts.inMemory) {
    dir = path.resolve(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
  }
  // Same int8 parsing as the pg pool, so queries behave the same on both.
  const pglite = await PGlite.create({ ...(dir ? { dataDir: dir } : {}), parsers: { 20: parseInt8 } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    pglite,
    async close() {
      await db.destroy();
      unlock();
    },
  };
}

export class DatabaseInUseError extends Error {}

/**
 * PGlite is a database inside this process: a second process opening the same directory (a
 * second `npm start`, or `npm run admin` while the server runs) would work on its own copy and
 * one of them would silently lose its writes. A lock file with the owner's pid refuses that;
 * a lock left by a process that no longer exists (a crash) is taken over.
 */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, '..', 'pglite.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      const release = () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseInUseError(
          `The embedded database in ${path.dirname(file)} is in use by process ${owner}. Stop that process first, or use PostgreSQL (DATABASE_URL) to run several processes.`,
        );
      }
      unlinkSync(file); // stale: its owner is gone
    }
  }
  throw new DatabaseInUseError(`Could not lock the embedded database in ${path.dirname(file)}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
