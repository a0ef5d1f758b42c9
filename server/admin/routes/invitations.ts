import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { clientIp } from '../../lib/client-ip.js';
import { createLimiter } from '../../lib/rate-limit.js';
import { validationHook } from '../../lib/validation.js';
import { acceptInvitation, findInvitation, invitationInvalid } from '../admins.js';
import type { AdminEnv } from '../auth.js';
import { limited } from '../sign-in-limits.js';
import { acceptInvitationSchema, invitationTokenSchema } from '../schemas.js';
import { signInBrowser } from './session.js';

/**
 * /invitations/:token, reached from the link an owner passed on (/admin/invite/<token>), before
 * any session: GET only tells the page whose invitation it is (mail scanners follow links, so a
 * GET never acts); POST sets the invited admin's own password, uses the link up, and signs in.
 */
export function invitationRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  // The token has 256 random bits; this only keeps one address from hammering the database.
  const perIp = createLimiter(db, { keyPrefix: 'admin-invitation-ip', points: 30, durationSeconds: 15 * 60 });
  const tokenParam = zValidator('param', invitationTokenSchema, validationHook);

  return new Hono<AdminEnv>()
    .get('/invitations/:token', tokenParam, async (c) => {
      await limited(perIp, clientIp(c, config.trustProxy), 'Too many invitation links tried from this connection');
      const found = await findInvitation(db, c.req.valid('param').token, clock());
      if (!found) throw invitationInvalid();
      return c.json({ email: found.email, expiresAt: found.expiresAt.toISOString() });
    })
    .post('/invitations/:token', tokenParam, zValidator('json', acceptInvitationSchema, validationHook), async (c) => {
      await limited(perIp, clientIp(c, config.trustProxy), 'Too many invitation links tried from this connection');
      const { adminId, email } = await acceptInvitation(db, c.req.valid('param').token, c.req.valid('json').password, clock());
      const admin = await db.selectFrom('admins').where('id', '=', adminId).select(['id', 'role', 'device_key']).executeTakeFirstOrThrow();
      const session = await signInBrowser(c, deps, admin, null);
      return c.json({ admin: { id: admin.id, email, role: admin.role }, csrfToken: session.csrfToken });
    });
}
