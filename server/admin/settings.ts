import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { validationHook } from '../lib/validation.js';
import { updateSettingsSchema } from '../settings/schemas.js';
import { AppError } from '../errors.js';
import { notifyProgress } from '../live/bus.js';
import { getOrgSettings, missingForTaxStatus, updateOrgSettings } from '../settings/service.js';
import { audit, diff } from './audit.js';
import { type AdminEnv, requireRecentAuth, requireRole } from './auth.js';

/**
 * /api/admin/settings: the organisation (name, address, time zone, tax id and status, legal text
 * per language, mail footer and logo). Mounted after the
 * session and CSRF middleware of adminRoutes. Every admin reads it (dates are shown in its zone);
 * changing it is for owners.
 */
export function settingsRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  const { db, config, clock } = deps;
  return (
    new Hono<AdminEnv>()
      .get('/', async (c) => c.json(await getOrgSettings(db, config)))
      // Organisation settings are an owner's, with a recent password (SPEC §11).
      .patch('/', requireRole('owner'), requireRecentAuth(), zValidator('json', updateSettingsSchema, validationHook), async (c) => {
        const input = c.req.valid('json');
        const now = clock();
        const after = await db.transaction().execute(async (trx) => {
          const before = await getOrgSettings(trx, config);
          await updateOrgSettings(trx, input, now);
          const after = await getOrgSettings(trx, config);
          // A status that states a tax id or a sponsor needs it (the env default counts): 400, and
          // the transaction rolls back, so nothing is written.
          const missing = missingForTaxStatus(after);
          if (missing) throw new AppError('invalid_request', 400, missing.message, missing.field);
          // Every campaign's public JSON carries the tax notice: drop every cached copy, on every instance.
          await notifyProgress(trx, 0);
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
