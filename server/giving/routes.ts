import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { slugSchema } from '../campaigns/schemas.js';
import type { AppDeps } from '../deps.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter } from '../lib/rate-limit.js';
import { validationHook } from '../lib/validation.js';
import { createPledge, pledgeSchema } from './pledges.js';

/** POST /api/campaigns/:slug/pledges: the banner's pledge form while payments are down (SPEC §13). */
export function pledgeRoutes(deps: AppDeps) {
  const perClient = createLimiter(deps.db, { keyPrefix: 'pledge-ip', points: deps.config.checkoutRateLimit, durationSeconds: 60 });
  return new Hono().post(
    '/:slug/pledges',
    zValidator('param', z.object({ slug: slugSchema }), validationHook),
    zValidator('json', pledgeSchema, validationHook),
    async (c) => {
      await perClient.consume([clientIp(c, deps.config.trustProxy)], 'Too many pledges from this connection');
      const pledge = await createPledge(deps, c.req.valid('param').slug, c.req.valid('json'));
      return c.json(pledge, 201);
    },
  );
}
