import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import {
  type Invitation,
  changeRole,
  disableAdmin,
  enableAdmin,
  inviteAdmin,
  listAdmins,
  removeAdmin,
  renewInvitation,
} from '../admins.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';
import { adminIdSchema, changeRoleSchema, newAdminSchema } from '../schemas.js';

/**
 * /admins: who can sign in to the console. Owners only, and every request here is sensitive
 * (SPEC §11): it needs a password entered in the last 10 minutes.
 */
export function adminsRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const owner = [requireRole('owner'), requireRecentAuth()] as const;
  const idParam = zValidator('param', adminIdSchema, validationHook);

  // The link is mailed to the invited address (admins.ts) and shown once to the inviting owner,
  // in case the mail goes astray.
  const invitation = (i: Invitation) => ({
    admin: i.admin,
    invitation: { url: `${config.publicUrl}/admin/invite/${i.token}`, expiresAt: i.expiresAt.toISOString() },
  });

  return new Hono<AdminEnv>()
    .get('/admins', ...owner, async (c) => c.json({ admins: await listAdmins(db) }))
    .post('/admins', ...owner, zValidator('json', newAdminSchema, validationHook), async (c) => {
      const made = await inviteAdmin(db, c.req.valid('json'), c.get('session').adminId, clock());
      return c.json(invitation(made), 201);
    })
    .post('/admins/:id/invitation', ...owner, idParam, async (c) => {
      return c.json(invitation(await renewInvitation(db, c.req.valid('param').id, c.get('session').adminId, clock())), 201);
    })
    .patch('/admins/:id', ...owner, idParam, zValidator('json', changeRoleSchema, validationHook), async (c) => {
      const admin = await changeRole(db, c.req.valid('param').id, c.req.valid('json').role, c.get('session').adminId, clock());
      return c.json({ admin });
    })
    .post('/admins/:id/disable', ...owner, idParam, async (c) => {
      return c.json({ admin: await disableAdmin(db, c.req.valid('param').id, c.get('session').adminId, clock()) });
    })
    .post('/admins/:id/enable', ...owner, idParam, async (c) => {
      return c.json({ admin: await enableAdmin(db, c.req.valid('param').id, c.get('session').adminId, clock()) });
    })
    .delete('/admins/:id', ...owner, idParam, async (c) => {
      await removeAdmin(db, c.req.valid('param').id, c.get('session').adminId, clock());
      return c.json({ ok: true });
    });
}
