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

/** Keys carry user input (e-mails up to 254 chars, forwarded addresses): hashed, they always fit
 * the store's varchar(255) and never reveal an e-mail to whoever reads the table. */
function storeKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

export type Limiter = ReturnType<typeof createLimiter>;
