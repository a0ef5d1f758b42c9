import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { validationHook } from '../../lib/validation.js';
import { audit } from '../audit.js';
import type { AdminEnv } from '../auth.js';
import { hashPassword } from '../passwords.js';
import { newAdminSchema } from '../schemas.js';

/** /admins: who can sign in to the console. */
export function adminsRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>()
    .get('/admins', async (c) => {
      const rows = await db.selectFrom('admins').select(['id', 'email', 'created_at']).orderBy('id').execute();
      return c.json({ admins: rows.map((r) => ({ id: r.id, email: r.email, createdAt: r.created_at.toISOString() })) });
    })
    .post('/admins', zValidator('json', newAdminSchema, validationHook), async (c) => {
      const { email, password } = c.req.valid('json');
      const password_hash = await hashPassword(password);
      const row = await db
        .insertInto('admins')
        .values({ email, password_hash, created_at: clock() })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(['id', 'email', 'created_at'])
        .executeTakeFirst();
      if (!row) throw new AppError('admin_exists', 409, `An admin with e-mail ${email} already exists`, 'email');
      await audit(db, { adminId: c.get('session').adminId, action: 'admin.create', entity: 'admin', entityId: row.id, after: { email }, at: clock() });
      return c.json({ admin: { id: row.id, email: row.email, createdAt: row.created_at.toISOString() } }, 201);
    });
}
