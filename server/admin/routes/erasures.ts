import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { eraseDonor, previewErasure } from '../../erasure/service.js';
import { badRequest } from '../../errors.js';
import { validationHook } from '../../lib/validation.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';
import { erasurePreviewSchema, erasureSchema } from '../people-schemas.js';

/**
 * /erasures: an owner anonymises a donor who asked to be forgotten (erasure/service.ts). Owners
 * only, with a password entered in the last 10 minutes; the address is typed twice. The list
 * shows what each erasure changed under its pseudonym, never the address.
 */
export function erasureRoutes(deps: AppDeps) {
  const { db, clock, bus } = deps;
  const owner = [requireRole('owner'), requireRecentAuth()] as const;
  return new Hono<AdminEnv>()
    .get('/erasures', ...owner, async (c) => {
      const rows = await db.selectFrom('donor_erasures').selectAll().orderBy('id', 'desc').limit(200).execute();
      return c.json({
        erasures: rows.map((r) => ({ pseudonym: r.pseudonym, counts: r.counts, at: r.created_at.toISOString() })),
      });
    })
    .post('/erasures/preview', ...owner, zValidator('json', erasurePreviewSchema, validationHook), async (c) => {
      return c.json({ found: await previewErasure(db, c.req.valid('json').email) });
    })
    .post('/erasures', ...owner, zValidator('json', erasureSchema, validationHook), async (c) => {
      const { email, confirm } = c.req.valid('json');
      if (email !== confirm) throw badRequest('The two addresses differ: type the same address twice to erase it.', 'confirm');
      const done = await eraseDonor(db, { bus }, email, c.get('session').adminId, clock());
      return c.json(done, 201);
    });
}
