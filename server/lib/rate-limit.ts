import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/schema.js';
import { AppError } from '../errors.js';

/**
 * rate-limiter-flexible's PostgreSQL store, so limits hold across every server process
 * (card-testing bots rotate between instances behind a load balancer). Its table is created by
 * our migration 0001; the store talks through Kysely, so PGlite and pg behave the same.
 */
export function createLimiter(
  db: Kysely<Database>,
  opts: { keyPrefix: string; points: number; durationSeconds: number; blockSeconds?: number },
) {
  const storeClient = {
    async query(q: { text: string; values?: unknown[] }) {
      const r = await db.executeQuery(CompiledQuery.raw(q.text, q.values ?? []));
      return { rows: r.rows, rowCount: r.rows.length };
    },
  };
  const limiter = new RateLimiterPostgres({
    storeClient,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: opts.keyPrefix,
    points: opts.points,
    duration: opts.durationSeconds,
    blockDuration: opts.blockSeconds ?? 0,
  });

  return {
    /** Spends one point for each key; throws a 429 AppError with Retry-After when any is exhausted. */
    async consume(keys: string[], message: string): Promise<void> {
      await sweepIfDue(db);
      for (const key of keys) {
        try {
          await limiter.consume(storeKey(key));
        } catch (res) {
          if (res instanceof RateLimiterRes) {
            const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
            throw new AppError('rate_limited', 429, message, undefined, { 'Retry-After': String(retryAfter) });
          }
          throw res;
        }
      }
    },
    /** Gives back the point a request spent (e.g. a successful sign-in is not an attempt to throttle). */
    async refund(key: string) {
      await limiter.reward(storeKey(key), 1);
    },
    async reset(key: string) {
      await limiter.delete(storeKey(key));
    },
  };
}

/**
 * The store never deletes a row (clearExpiredByTimeout is off: its timer would hold a
 * connection per limiter in every process), so each key ever seen, every address and e-mail,
 * would stay forever. Instead the first request after SWEEP_EVERY_MS deletes the expired rows,
 * once per process and database: cheap, and needs no scheduler. Expiry is in the store's own
 * clock (Date.now(), ms), so the sweep uses the same. A failed sweep is retried next time and
 * never fails the request.
 */
export const SWEEP_EVERY_MS = 5 * 60_000;
const lastSweep = new WeakMap<object, number>();

async function sweepIfDue(db: Kysely<Database>): Promise<void> {
  const now = Date.now();
  const last = lastSweep.get(db);
  if (last !== undefined && now - last < SWEEP_EVERY_MS) return;
  lastSweep.set(db, now);
  await sweepExpiredRateLimits(db, now).catch(() => lastSweep.delete(db));
}

/** Deletes rate-limit rows whose window ended before `nowMs`; returns how many. */
export async function sweepExpiredRateLimits(db: Kysely<Database>, nowMs = Date.now()): Promise<number> {
  const r = await db.deleteFrom('rate_limits').where('expire', 'is not', null).where('expire', '<', nowMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Keys carry user input (e-mails up to 254 chars, forwarded addresses): hashed, they always fit
 * the store's varchar(255) and never reveal an e-mail to whoever reads the table. */
function storeKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

export type Limiter = ReturnType<typeof createLimiter>;
