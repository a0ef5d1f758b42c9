import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter } from '../lib/rate-limit.js';
import { validationHook } from '../lib/validation.js';
import { subscribeSchema } from './schemas.js';
import { subscribe } from './service.js';

/** Mounted at /api/digest by server/site/routes.ts. */
export function digestRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  // A sign-up form is a favourite target for list-bombing: a person never needs more than a few.
  const limiter = createLimiter(deps.db, { keyPrefix: 'digest-ip', points: 20, durationSeconds: 60 });
  return new Hono().post('/subscribe', zValidator('json', subscribeSchema, validationHook), async (c) => {
    const ip = clientIp(c, deps.config.trustProxy);
    await limiter.consume([ip], 'Too many sign-up attempts from this connection; please wait a minute and try again');
    // A new and a known address get the same answer: the form must not tell a stranger whether
    // someone reads the digest. The duplicate changes nothing (first consent is kept).
    await subscribe(deps.db, c.req.valid('json'), { now: deps.clock(), sourceIp: ip });
    return c.json({ subscribed: true, message: 'Thanks! You are signed up to the daily digest.' }, 201);
  });
}
