import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../admin/auth.js';
import { requireRole } from '../admin/auth.js';
import { audit, diff } from '../admin/audit.js';
import { slugSchema } from '../campaigns/schemas.js';
import { getCampaign } from '../campaigns/service.js';
import type { AppDeps } from '../deps.js';
import { queryText, validationHook } from '../lib/validation.js';
import { orgTimeZone } from '../settings/service.js';
import { variantReport } from './report.js';
import { variantIdSchema, variantInputSchema, variantPatchSchema } from './schemas.js';
import { createVariant, keepWinner, updateVariant, variantSnapshot } from './service.js';

const slugParam = z.object({ slug: slugSchema });
const variantParam = z.object({ slug: slugSchema, id: variantIdSchema });
const funnelQuery = z.strictObject({ variant: queryText(40).optional(), origin: queryText(300).optional() });

/** /campaigns/:slug/variants and /funnel: read by every role, changed by editors and owners. */
export function variantAdminRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const report = async (slug: string, filter: { variant?: string; origin?: string } = {}) => {
    const campaign = await getCampaign(db, slug);
    return variantReport(db, campaign, await orgTimeZone(db, config), filter);
  };
  /** Variants are part of the public progress: every instance's cache and live banners refresh
   * (this one at once, the others when the NOTIFY arrives). */
  const changed = async (campaignId: number) => {
    await deps.bus.notify(db, campaignId);
    deps.bus.emitLocal(campaignId);
  };

  return new Hono<AdminEnv>()
    .get('/campaigns/:slug/variants', zValidator('param', slugParam, validationHook), async (c) =>
      c.json(await report(c.req.valid('param').slug)),
    )
    .get(
      '/campaigns/:slug/funnel',
      zValidator('param', slugParam, validationHook),
      zValidator('query', funnelQuery, validationHook),
      async (c) => {
        const { funnel } = await report(c.req.valid('param').slug, c.req.valid('query'));
        return c.json(funnel);
      },
    )
    .post(
      '/campaigns/:slug/variants',
      requireRole('editor'),
      zValidator('param', slugParam, validationHook),
      zValidator('json', variantInputSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const now = clock();
        const v = await createVariant(db, campaign.id, c.req.valid('json'), now);
        await changed(campaign.id);
        await audit(db, {
          adminId: c.get('session').adminId,
          action: 'variant.create',
          entity: 'campaign',
          entityId: campaign.id,
          after: variantSnapshot(v),
          at: now,
        });
        return c.json(await report(campaign.slug), 201);
      },
    )
    .patch(
      '/campaigns/:slug/variants/:id',
      requireRole('editor'),
      zValidator('param', variantParam, validationHook),
      zValidator('json', variantPatchSchema, validationHook),
      async (c) => {
        const { slug, id } = c.req.valid('param');
        const campaign = await getCampaign(db, slug);
        const now = clock();
        const { before, after } = await updateVariant(db, campaign.id, id, c.req.valid('json'), now);
        await changed(campaign.id);
        const change = diff(variantSnapshot(before), variantSnapshot(after));
        if (change) {
          const action = before.status === 'active' && after.status === 'stopped' ? 'variant.stop' : 'variant.update';
          await audit(db, {
            adminId: c.get('session').adminId,
            action,
            entity: 'campaign',
            entityId: campaign.id,
            before: { variant: id, ...change.before },
            after: { variant: id, ...change.after },
            at: now,
          });
        }
        return c.json(await report(slug));
      },
    )
    .post('/campaigns/:slug/variants/:id/keep', requireRole('editor'), zValidator('param', variantParam, validationHook), async (c) => {
      const { slug, id } = c.req.valid('param');
      const campaign = await getCampaign(db, slug);
      const now = clock();
      const kept = await keepWinner(db, campaign.id, id, now);
      await changed(campaign.id);
      await audit(db, {
        adminId: c.get('session').adminId,
        action: 'variant.keep_winner',
        entity: 'campaign',
        entityId: campaign.id,
        after: kept,
        at: now,
      });
      return c.json(await report(slug));
    });
}
