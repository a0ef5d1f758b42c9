import { publicTaxNotice } from '../common/tax.js';
import { getOrgSettings, taxFacts } from './settings/service.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { sql } from 'kysely';
import { adminPageRoutes } from './admin/pages.js';
import { adminRoutes } from './admin/routes.js';
import { ProgressCache } from './campaigns/progress-cache.js';
import { createFastRead, PUBLIC_READ_CORS } from './campaigns/fast-read.js';
import { campaignRoutes } from './campaigns/routes.js';
import { checkoutRoutes } from './checkout/routes.js';
import type { AppDeps } from './deps.js';
import { digestPageRoutes } from './digest/pages.js';
import { pledgePageRoutes } from './giving/pages.js';
import { pledgeRoutes } from './giving/routes.js';
import { AppError, INTERNAL_ERROR, payloadTooLarge } from './errors.js';
import { securityHeaders } from './lib/security-headers.js';
import { ProgressStreams } from './live/streams.js';
import { managePageRoutes } from './manage/pages.js';
import { EMBED_CATALOGS, siteRoutes } from './site/routes.js';
import { statementSection } from './statements/manage-section.js';
import { statementRoutes } from './statements/routes.js';
import { WEBHOOK_PATH, createFastIngest } from './webhooks/fast-ingest.js';
import { webhookReceiver, webhookRoutes } from './webhooks/routes.js';
import { BEACON_PATH, funnelRoutes } from './variants/routes.js';

/** The body limit of /webhooks/* (the Hono middleware and the fast path): see limitBody below. */
const WEBHOOK_BODY_LIMIT = 512 * 1024;

export function createApp(deps: AppDeps) {
  const app = new Hono();
  const cache = new ProgressCache(deps.db, deps.bus, deps.clock, undefined, {
    testMode: deps.config.testMode,
    tax: async () => {
      const s = await getOrgSettings(deps.db, deps.config);
      return publicTaxNotice(taxFacts(s, deps.config.orgName));
    },
    captcha: deps.config.cardTesting.captcha,
  });

  app.use(requestId());

  // Response headers per surface (server/lib/security-headers.ts).
  const headers = securityHeaders(deps.config);
  for (const p of [
    '/api/campaigns/*',
    '/api/checkout-sessions/*',
    '/api/digest/*',
    '/embed.js',
    '/embed-app.js',
    '/embed-donate.js',
    ...EMBED_CATALOGS.map((f) => `/${f}`),
    '/healthz',
    '/readyz',
  ])
    app.use(p, headers.publicSurface);
  for (const p of ['/admin', '/admin/*', '/api/admin/*']) app.use(p, headers.admin);
  for (const p of ['/emulator', '/emulator/*']) app.use(p, headers.emulator);
  for (const p of ['/', '/donate/*', '/thanks', '/assets/*']) app.use(p, headers.pages);

  // Public API: readable from any origin (the widget runs on other sites). The checkout POST is
  // allowed cross-origin too; it sets no cookie and is rate-limited per client.
  // Reads (every page view of every embedding site) take a fast path: hono/cors and bodyLimit
  // touch the Request/Response objects, which made the progress endpoint 5x slower (bench).
  const publicCors = cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    exposeHeaders: ['Retry-After', 'ETag'],
    maxAge: 86400,
  });
  app.use('/api/campaigns/*', async (c, next) => {
    // Beacons answer CORS themselves, only to the campaign's embedding origins (variants/routes.ts).
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && BEACON_PATH.test(c.req.path)) return next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return publicCors(c, next);
    for (const [k, v] of PUBLIC_READ_CORS) c.header(k, v);
    return next();
  });
  // Huge bodies are refused before they are read (SPEC §7). Webhooks get more room: Stripe
  // events with expanded objects can be tens of KB. Bodiless reads skip the check.
  // The rest of the body is never read: the 413 closes the connection (payloadTooLarge).
  const tooLarge = () => {
    throw payloadTooLarge();
  };
  const limitBody = (maxSize: number): MiddlewareHandler => {
    const limit = bodyLimit({ maxSize, onError: tooLarge });
    return (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next));
  };
  app.use('/api/*', limitBody(32 * 1024));
  app.use('/webhooks/*', limitBody(WEBHOOK_BODY_LIMIT));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ ok: true, database: 'up' });
    } catch {
      return c.json({ ok: false, database: 'down' }, 503);
    }
  });

  app.route('/api/campaigns', checkoutRoutes(deps));
  app.route('/api/campaigns', pledgeRoutes(deps));
  app.route('/api/campaigns', funnelRoutes(deps));
  const streams = new ProgressStreams(cache, deps.bus, headers.publicHeaders);
  app.route('/api/campaigns', campaignRoutes(deps, cache, streams));
  const fastRead = createFastRead(cache, headers.publicHeaders);
  // Stripe's deliveries: one receiver for the Hono route (app.request callers) and the node:http
  // fast path (server/webhooks/fast-ingest.ts), which skips the framework on a real socket.
  const receiveWebhook = webhookReceiver(deps);
  const fastIngest = createFastIngest(receiveWebhook, { maxBody: WEBHOOK_BODY_LIMIT, log: deps.log });
  app.route(WEBHOOK_PATH, webhookRoutes(deps, receiveWebhook));
  app.route('/api/admin', adminRoutes(deps));
  if (deps.emulatorRoutes) app.route('/', deps.emulatorRoutes);
  app.route('/digest', digestPageRoutes(deps));
  app.route('/manage', managePageRoutes(deps, { sections: [statementSection(deps)] }));
  app.route('/statements', statementRoutes(deps));
  app.route('/pledge', pledgePageRoutes(deps));
  app.route('/', adminPageRoutes({ testMode: deps.config.testMode }));
  app.route('/', siteRoutes(deps, { progress: cache }));

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'Not found' } }, 404));

  // One error shape; 500s are logged with the request id and never show their details.
  app.onError((err, c) => {
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(err.toJSON(), err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 400 ? 'invalid_request' : status === 401 ? 'unauthorized' : 'http_error';
      const message = status === 400 ? 'Malformed request body' : err.message || 'Request refused';
      return c.json({ error: { code, message } }, status);
    }
    deps.log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return c.json(INTERNAL_ERROR, 500);
  });

  return Object.assign(app, {
    deps,
    progressCache: cache,
    streams,
    /**
     * For a node:http server (server/lib/serve.ts): answers the hottest public reads from
     * precomputed bytes and Stripe's deliveries with the route's own logic before the framework
     * sees them, or returns false and touches nothing.
     */
    fastPath(req: IncomingMessage, res: ServerResponse): boolean {
      return fastRead(req, res) || fastIngest(req, res) || streams.fastStream(req, res);
    },
    /** Ends every open event stream (shutdown): banners reconnect, to another instance if need be. */
    endStreams() {
      streams.endAll();
    },
    close() {
      streams.close();
      cache.close();
    },
  });
}

export type App = ReturnType<typeof createApp>;
