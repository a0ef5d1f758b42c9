import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';

/** /api/admin/* (owned by the admin work). */
export function adminRoutes(_deps: AppDeps) {
  return new Hono();
}
