import { createHash } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../../lib/client-ip.js';
import { createLimiter } from '../../lib/rate-limit.js';
import { validationHook } from '../../lib/validation.js';
import type { AdminEnv } from '../auth.js';
import { completePasswordReset, findPasswordReset, requestPasswordReset, resetInvalid } from '../password-resets.js';
import { resetPasswordSchema, resetRequestSchema, resetTokenSchema } from '../people-schemas.js';
import { limited } from '../sign-in-limits.js';
import { signInBrowser } from './session.js';

const SENT =
  'If this address belongs to an admin, we have sent a link to reset the password. It works for one hour; check your inbox and spam folder.';

/**
 * /password-reset, before any session (the console's "Forgot your password?"). The request is
 * answered the same whether the address is an admin's or not, and limited per connection (429)
 * and per address (silently: no mail, same answer), so it can neither list admins nor flood an
 * inbox. GET on a link only says whose it is; the POST with the new password acts.
 */
export function passwordResetRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const perIp = createLimiter(db, { keyPrefix: 'admin-reset-ip', points: 10, durationSeconds: 15 * 60 });
  // The link's token has 256 random bits; this only keeps one address from hammering the database.
  const perIpLinks = createLimiter(db, { keyPrefix: 'admin-reset-link-ip', points: 30, durationSeconds: 15 * 60 });
  // Keyed by a hash: the limits table keeps no e-mail address.
  const perAddress = createLimiter(db, { keyPrefix: 'admin-reset-address', points: 3, durationSeconds: 60 * 60 });
  const tokenParam = zValidator('param', resetTokenSchema, validationHook);
  const ip = (c: Parameters<typeof clientIp>[0]) => clientIp(c, config.trustProxy);

  return new Hono<AdminEnv>()
    .post('/password-reset', zValidator('json', resetRequestSchema, validationHook), async (c) => {
      await limited(perIp, ip(c), 'Too many password reset requests from this connection');
      const { email } = c.req.valid('json');
      let allowed = true;
      try {
        await perAddress.consume([createHash('sha256').update(email).digest('hex')], 'limited');
      } catch (err) {
        if (!(err instanceof AppError && err.status === 429)) throw err;
        allowed = false;
      }
      if (allowed) await requestPasswordReset(db, email, clock());
      return c.json({ message: SENT }, 202);
    })
    .get('/password-reset/:token', tokenParam, async (c) => {
      await limited(perIpLinks, ip(c), 'Too many password reset links tried from this connection');
      const found = await findPasswordReset(db, c.req.valid('param').token, clock());
      if (!found) throw resetInvalid();
      return c.json({ email: found.email, expiresAt: found.expiresAt.toISOString() });
    })
    .post('/password-reset/:token', tokenParam, zValidator('json', resetPasswordSchema, validationHook), async (c) => {
      await limited(perIpLinks, ip(c), 'Too many password reset links tried from this connection');
      const { adminId, email } = await completePasswordReset(db, c.req.valid('param').token, c.req.valid('json').password, clock());
      const admin = await db.selectFrom('admins').where('id', '=', adminId).select(['id', 'role', 'device_key']).executeTakeFirstOrThrow();
      const session = await signInBrowser(c, deps, admin, null);
      return c.json({ admin: { id: admin.id, email, role: admin.role }, csrfToken: session.csrfToken });
    });
}
