import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { createCampaignSchema, slugSchema, updateCampaignSchema } from '../../campaigns/schemas.js';
import { createCampaign, getCampaign, listCampaigns, updateCampaign } from '../../campaigns/service.js';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { audit, campaignSnapshot, diff } from '../audit.js';
import { type AdminEnv, requireRole } from '../auth.js';
import { campaignDashboard, toAdminCampaign } from '../dashboard.js';
import { orgTimeZone } from '../../settings/service.js';

export const slugParam = z.object({ slug: slugSchema });

/** /campaigns: the list with totals and the dashboard (every role); create and edit (editors, owners). */
export function campaignRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  return new Hono<AdminEnv>()
    .get('/campaigns', async (c) => {
      const now = clock();
      const rows = await listCampaigns(db);
      return c.json({ campaigns: rows.map((r) => toAdminCampaign(r, now)) });
    })
    .post('/campaigns', requireRole('editor'), zValidator('json', createCampaignSchema, validationHook), async (c) => {
      const created = await createCampaign(db, c.req.valid('json'));
      await audit(db, {
        adminId: c.get('session').adminId,
        action: 'campaign.create',
        entity: 'campaign',
        entityId: created.id,
        after: campaignSnapshot(created),
        at: clock(),
      });
      return c.json(await campaignDashboard(db, created, clock(), await orgTimeZone(db, config)), 201);
    })
    .get('/campaigns/:slug', zValidator('param', slugParam, validationHook), async (c) => {
      const campaign = await getCampaign(db, c.req.valid('param').slug);
      return c.json(await campaignDashboard(db, campaign, clock(), await orgTimeZone(db, config)));
    })
    .patch(
      '/campaigns/:slug',
      requireRole('editor'),
      zValidator('param', slugParam, validationHook),
      zValidator('json', updateCampaignSchema, validationHook),
      async (c) => {
        const input = c.req.valid('json');
        const { slug } = c.req.valid('param');
        const now = clock();
        // Currency guard and the renewal-window recompute happen inside updateCampaign's transaction.
        const { before, after } = await updateCampaign(db, slug, input, now, deps);
        // Copy, goal and dates are part of the public progress: refresh every instance's cache and live banners.
        await deps.bus.notify(db, after.id);
        const change = diff(campaignSnapshot(before), campaignSnapshot(after));
        if (change) {
          const action =
            input.archived === true && !before.archived_at
              ? 'campaign.archive'
              : input.archived === false && before.archived_at
                ? 'campaign.unarchive'
                : 'campaign.update';
          await audit(db, { adminId: c.get('session').adminId, action, entity: 'campaign', entityId: after.id, ...change, at: now });
        }
        return c.json(await campaignDashboard(db, await getCampaign(db, after.slug), now, await orgTimeZone(db, config)));
      },
    );
}
