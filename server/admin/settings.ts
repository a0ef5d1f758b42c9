import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { validationHook } from '../lib/validation.js';
import { updateSettingsSchema } from '../settings/schemas.js';
import { getOrgSettings, updateOrgSettings } from '../settings/service.js';
import { audit, diff } from './audit.js';
import type { AdminEnv } from './auth.js';

/**
 * /api/admin/settings: the organisation (name, address, time zone, tax id). Mounted after the
 * session and CSRF middleware of adminRoutes. Every admin reads it (dates are shown in its zone);
 * changing it is for owners.
 */
export function settingsRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  const { db, config, clock } = deps;
  return (
    new Hono<AdminEnv>()
      .get('/', async (c) => c.json(await getOrgSettings(db, config)))
      // TODO(roles): require the owner role here (SPEC §11) once requireRole('owner') exists.
      .patch('/', zValidator('json', updateSettingsSchema, validationHook), async (c) => {
        const input = c.req.valid('json');
        const now = clock();
        const after = await db.transaction().execute(async (trx) => {
          const before = await getOrgSettings(trx, config);
          await updateOrgSettings(trx, input, now);
          const after = await getOrgSettings(trx, config);
          const change = diff({ ...before }, { ...after });
          if (change)
            await audit(trx, {
              adminId: c.get('session').adminId,
              action: 'organisation.update',
              entity: 'organisation',
              entityId: 1,
              ...change,
              at: now,
            });
          return after;
        });
        return c.json(after);
      })
  );
}
