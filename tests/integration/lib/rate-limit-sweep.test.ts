import { afterEach, describe, expect, it, vi } from 'vitest';
import { SWEEP_EVERY_MS, createLimiter } from '../../../server/lib/rate-limit.js';
import { createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';

const MIN = 60_000;

describe.each(testDatabaseKinds())('rate-limit rows on %s', (kind) => {
  afterEach(() => vi.useRealTimers());

  it('are swept once expired, periodically, while live windows stay', async () => {
    // Only Date is faked: the store stamps expiry with Date.now(), and so does the sweep.
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = new Date('2026-12-31T10:00:00Z').getTime();
    vi.setSystemTime(t0);
    const database = await createTestDatabase(kind);
    try {
      const limiter = createLimiter(database.db, { keyPrefix: 'sweep-test', points: 5, durationSeconds: 60 });
      const rows = async () => database.db.selectFrom('rate_limits').select(['key', 'expire']).execute();

      await limiter.consume(['198.51.100.1'], 'x');
      await limiter.consume(['198.51.100.2'], 'x');
      vi.setSystemTime(t0 + 4.9 * MIN);
      await limiter.consume(['198.51.100.3'], 'x'); // window until t0 + 5.9 min
      // Expired rows wait for the next sweep: no DELETE on every request.
      expect(await rows()).toHaveLength(3);

      vi.setSystemTime(t0 + SWEEP_EVERY_MS + 0.5 * MIN);
      await limiter.consume(['198.51.100.4'], 'x');
      const left = await rows();
      expect(left).toHaveLength(2);
      expect(left.every((r) => Number(r.expire) > Date.now())).toBe(true);

      // The live window still counts: four more tries from .3 use up its five points.
      for (let i = 0; i < 4; i++) await limiter.consume(['198.51.100.3'], 'x');
      await expect(limiter.consume(['198.51.100.3'], 'x')).rejects.toMatchObject({ status: 429 });
    } finally {
      await database.drop();
    }
  });
});
