import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import type { AdminEnv } from '../auth.js';
import { listWebhookEvents, webhookEventsQuerySchema } from '../webhook-events.js';

/** Stripe events the ledger could not apply, or applied with a conflict (every role reads them). */
export function webhookEventRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Hono<AdminEnv>().get('/webhooks/events', zValidator('query', webhookEventsQuerySchema, validationHook), async (c) => {
    return c.json(await listWebhookEvents(db, c.req.valid('query')));
  });
}
