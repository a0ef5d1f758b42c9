import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import { type DatabaseHandle, DatabaseInUseError, connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createApp } from './app.js';
import { ConfigError, listeningOn, loadConfig } from './config.js';
import { createPgBus, createPgliteBus } from './live/bus.js';
import { createLogger } from './logger.js';
import { DEMO_SLUG, seedAdmin, seedDemoCampaign } from './seed.js';
import { createStripeEmulator } from './stripe-emulator/index.js';
import { createStripeClient } from './stripe.js';
import { scheduleReconciliation } from './webhooks/reconcile.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const log = createLogger(config.logLevel);
const clock = () => new Date();

let handle: DatabaseHandle;
try {
  handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
} catch (err) {
  if (err instanceof DatabaseInUseError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
await migrateToLatest(handle.db);
const bus = handle.pglite ? createPgliteBus(handle.pglite) : createPgBus(config.databaseUrl!, log);

// Demo mode: the emulator signs webhooks with a secret made up per process unless one is given.
if (config.emulator && !config.stripeWebhookSecret) {
  config = { ...config, stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64url')}` };
}

const seeded = await seedDemoCampaign(handle.db, clock());
const admin = await seedAdmin(handle.db, config);

// Listen before building the URLs: with PORT=0 the operating system picks the port, and every
// URL (PUBLIC_URL's default, the emulator's checkout pages) must name the port we really got.
// The app takes over in the same tick as 'listening' resolves, before any request is read.
let handler: ((req: Request, env: unknown) => Response | Promise<Response>) | undefined;
const server = serve({ fetch: (req, env) => (handler ? handler(req, env) : new Response('starting', { status: 503 })), port: config.port });
try {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${config.port} is already in use: set PORT to a free port (PORT=0 picks one)`);
    process.exit(1);
  }
  throw err;
}
config = listeningOn(config, (server.address() as AddressInfo).port);

// The emulator is reached in process (SDK → emulator.fetch, webhooks → app.request), not
// through our own socket: a checkout still in flight when SIGTERM stops accepting connections
// must be able to finish its Stripe calls and deliveries.
const emulator = config.emulator
  ? createStripeEmulator({
      webhookSecret: config.stripeWebhookSecret!,
      publicUrl: config.publicUrl,
      log,
      deliver: async (body, headers) => {
        const res = await app.request('/webhooks/stripe', { method: 'POST', body, headers });
        return { status: res.status };
      },
    })
  : undefined;
const stripe = createStripeClient(
  config,
  emulator ? { emulatorBase: 'http://stripe-emulator.internal', httpClient: Stripe.createFetchHttpClient(emulator.fetch) } : {},
);

const app = createApp({ db: handle.db, stripe, config, clock, bus, log, emulatorRoutes: emulator?.app });
handler = (req, env) => app.fetch(req, env as never);
const stopReconciliation = scheduleReconciliation({ db: handle.db, stripe, config, clock, bus, log });
{
  const u = config.publicUrl;
  const lines = [
    `Groundswell is running on ${u}  (port ${config.port}; database: ${handle.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}; payments: ${config.emulator ? 'built-in Stripe emulator, TEST MODE' : config.stripeApiBase ? `Stripe-compatible server at ${config.stripeApiBase}` : 'Stripe'})`,
    `  demo page:   ${u}/`,
    `  donate page: ${u}/donate/${DEMO_SLUG}${seeded ? '  (demo campaign created)' : ''}`,
    `  admin:       ${u}/admin`,
    ...(config.emulator ? [`  emulator:    ${u}/emulator  (renewals, refunds, disputes)`] : []),
    ...(admin?.password ? [`  admin login: ${admin.email} / ${admin.password}  (shown once; change it in the admin)`] : []),
  ];
  console.log(lines.join('\n'));
}

// SIGTERM (deploys, Ctrl-C): stop accepting, let in-flight requests finish, then close the pool.
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Event streams never finish by themselves: end them now (the widget reconnects elsewhere).
  app.endStreams();
  // A request still running after 10 s is cut, so a stuck client cannot block a deploy.
  const force = setTimeout(() => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(), 10_000);
  force.unref();
  await closed;
  stopReconciliation();
  emulator?.close();
  app.close();
  await bus.close();
  await handle.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
