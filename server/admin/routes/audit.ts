import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { listAudit } from '../audit.js';
import type { AdminEnv } from '../auth.js';
import { auditQuerySchema } from '../schemas.js';

/** /audit-log: who changed what, newest first. */
export function auditRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Hono<AdminEnv>().get('/audit-log', zValidator('query', auditQuerySchema, validationHook), async (c) => {
    return c.json(await listAudit(db, c.req.valid('query')));
  });
}
