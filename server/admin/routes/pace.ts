import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { campaignPace } from '../../campaigns/pace-query.js';
import { getCampaign } from '../../campaigns/service.js';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { orgTimeZone } from '../../settings/service.js';
import type { AdminEnv } from '../auth.js';
import { slugParam } from './campaigns.js';

/** /campaigns/:slug/pace: the projection at endsAt (SPEC §13 "Pace"); a read, so every role. */
export function paceRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  return new Hono<AdminEnv>().get('/campaigns/:slug/pace', zValidator('param', slugParam, validationHook), async (c) => {
    const campaign = await getCampaign(db, c.req.valid('param').slug);
    return c.json(await campaignPace(db, campaign, clock(), await orgTimeZone(db, config)));
  });
}
