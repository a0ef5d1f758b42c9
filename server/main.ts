import type { AddressInfo } from 'node:net';
import { DatabaseInUseError } from '../db/connect.js';
import { type Config, ConfigError, listeningOn, loadConfig } from './config.js';
import { type FastPath, serveApp } from './lib/serve.js';
import { createMailWorker } from './mail/worker.js';
import { type Runtime, createRuntime } from './runtime.js';
import { DEMO_SLUG, seedAdmin, seedDemoCampaign } from './seed.js';
import { createStatementRunner } from './statements/job.js';
import { scheduleReconciliation } from './webhooks/reconcile.js';
import { scheduleGivingJobs } from './giving/jobs.js';

// loadConfig → listen → createRuntime → serve → shutdown. A bad configuration, a port in use or
// a database held by another process ends start-up with one line, never a stack trace.
function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof DatabaseInUseError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  fail(err);
}

// Listen before building the URLs: with PORT=0 the operating system picks the port, and every
// URL (PUBLIC_URL's default, the emulator's checkout pages) must name the port we really got.
// Until the app is built, requests get 503 (a load balancer's readiness check waits for it).
let handler: ((req: Request, env: unknown) => Response | Promise<Response>) | undefined;
let fastPath: FastPath | undefined;
const server = serveApp({
  fetch: (req, env) => (handler ? handler(req, env) : new Response('starting', { status: 503 })),
  fastPath: () => fastPath,
  port: config.port,
});
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

// The runtime reaches the emulator in process (SDK → emulator.fetch, webhooks → app.request),
// never through our own socket: a checkout still in flight when SIGTERM stops accepting
// connections can finish its Stripe calls and deliveries.
let runtime: Runtime;
try {
  runtime = await createRuntime(config);
} catch (err) {
  fail(err);
}
const { db, app, log, clock } = runtime;
config = runtime.config;

const seeded = await seedDemoCampaign(db, clock());
const admin = await seedAdmin(db, config);
handler = (req, env) => app.fetch(req, env as never);
fastPath = (req, res) => app.fastPath(req, res);
const stopReconciliation = scheduleReconciliation(app.deps, runtime.database);
const stopGivingJobs = scheduleGivingJobs({ db, stripe: runtime.stripe, clock, bus: runtime.bus, log });
// Demo mode: the emulator's webhook endpoint is made the way `npm run stripe:setup` makes it, so
// the admin's webhook health reads a real endpoint (deliveries go to this server in process).
if (config.emulator) {
  const { setupWebhookEndpoint } = await import('./stripe-ops/setup.js');
  await setupWebhookEndpoint(runtime.stripe, config.publicUrl).catch((err) => log.warn({ err }, 'emulator webhook endpoint not created'));
}
const mailWorker = createMailWorker({ db, config, clock, log });
mailWorker.start();
// Statement mailings an owner started (January): resumed here after any restart.
const statementRunner = createStatementRunner({ db, config, clock, log });
statementRunner.start();

{
  const u = config.publicUrl;
  const payments = config.emulator
    ? 'built-in Stripe emulator, TEST MODE'
    : `${config.stripeApiBase ? `Stripe-compatible server at ${config.stripeApiBase}` : 'Stripe'}${config.testMode ? ', TEST MODE' : ''}`;
  const lines = [
    `Groundswell is running on ${u}  (port ${config.port}; database: ${runtime.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}; payments: ${payments})`,
    `  demo page:   ${u}/`,
    `  donate page: ${u}/donate/${DEMO_SLUG}${seeded ? '  (demo campaign created)' : ''}`,
    `  admin:       ${u}/admin`,
    `  e-mail:      ${config.smtpUrl ? 'sent over SMTP_URL' : `kept in the built-in outbox, ${u}/admin/outbox (SMTP_URL unset)`}`,
    ...(config.emulator ? [`  emulator:    ${u}/emulator  (renewals, refunds, disputes; sign in to the admin first)`] : []),
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
  stopGivingJobs();
  await statementRunner.stop();
  await mailWorker.stop();
  await runtime.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
