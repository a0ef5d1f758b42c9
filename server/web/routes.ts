import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';

/** Pages and assets: /, /embed.js, /donate/:slug, /thanks, /admin (owned by the web work). */
export function webRoutes(_deps: AppDeps) {
  return new Hono();
}
