import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import type { AdminEnv } from '../auth.js';
import { webhookHealth } from '../health.js';

/** Webhook health (every role reads it). `endpoint=false` skips asking Stripe (the warning banner). */
export function healthRoutes(deps: AppDeps) {
  return new Hono<AdminEnv>().get(
    '/health',
    zValidator('query', z.strictObject({ endpoint: z.enum(['true', 'false']).optional() }), validationHook),
    async (c) => c.json(await webhookHealth(deps, { endpoint: c.req.valid('query').endpoint !== 'false' })),
  );
}
