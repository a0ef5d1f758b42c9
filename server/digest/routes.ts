import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter } from '../lib/rate-limit.js';
import { validationHook } from '../lib/validation.js';
import { subscribeSchema } from './schemas.js';
import { signUp } from './service.js';

const CHECK_INBOX = 'Almost done: we sent you an e-mail. Open the link in it to confirm your subscription.';

/** Consent records keep where it was given: the page's origin and path, never its query. */
export function sourcePage(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    const u = new URL(referer);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return `${u.origin}${u.pathname}`.slice(0, 500);
  } catch {
    return null;
  }
}

/** Mounted at /api/digest by server/site/routes.ts; the mailed links' pages are in pages.ts. */
export function digestRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  // A sign-up form is a favourite target for list-bombing: a person never needs more than a few.
  const limiter = createLimiter(deps.db, { keyPrefix: 'digest-ip', points: 20, durationSeconds: 60 });
  return new Hono().post('/subscribe', zValidator('json', subscribeSchema, validationHook), async (c) => {
    const ip = clientIp(c, deps.config.trustProxy);
    await limiter.consume([ip], 'Too many sign-up attempts from this connection; please wait a minute and try again');
    // A new and a known address get the same answer: the form must not tell a stranger whether
    // someone reads the digest. Double opt-in: this only queues a confirmation mail.
    await signUp(deps.db, c.req.valid('json'), { now: deps.clock(), sourceIp: ip, sourcePage: sourcePage(c.req.header('referer')) });
    return c.json({ subscribed: false, confirmationSent: true, message: CHECK_INBOX }, 201);
  });
}
