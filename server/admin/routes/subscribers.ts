import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';
import { csvStream } from '../csv.js';
import { listDigestSubscribers } from '../digest.js';
import { pageSchema } from '../schemas.js';

const CSV_BATCH = 1000;

/** Confirmed digest subscribers: the list (every role) and its export for a newsletter tool
 * (personal data like the donations CSV: editors and owners, recent password). */
export function subscriberRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>()
    .get('/digest-subscribers', zValidator('query', pageSchema, validationHook), async (c) => {
      return c.json(await listDigestSubscribers(db, c.req.valid('query')));
    })
    .get('/digest-subscribers.csv', requireRole('editor'), requireRecentAuth(), async (c) => {
      const body = csvStream<string>(
        ['Email', 'Consented at', 'Confirmed at', 'Source page'],
        undefined,
        async (cursor) => {
          const page = await listDigestSubscribers(db, { cursor, limit: CSV_BATCH });
          return {
            rows: page.subscribers.map((s) => [s.email, s.consentedAt, s.confirmedAt ?? '', s.sourcePage ?? '']),
            cursor: page.nextCursor,
          };
        },
        (err) => deps.log.error({ err, path: c.req.path }, 'CSV export failed'),
      );
      return c.body(body, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="digest-subscribers-${clock().toISOString().slice(0, 10)}.csv"`,
      });
    });
}
