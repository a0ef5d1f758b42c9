import { serve } from '@hono/node-server';
import { DatabaseInUseError } from '../db/connect.js';
import { ConfigError, loadConfig } from './config.js';
import { type Runtime, createRuntime } from './runtime.js';
import { DEMO_SLUG, seedAdmin, seedDemoCampaign } from './seed.js';
import { scheduleReconciliation } from './webhooks/reconcile.js';

// loadConfig → createRuntime → serve → shutdown. A bad configuration or a database held by
// another process ends start-up with one line, never a stack trace.
let runtime: Runtime;
try {
  runtime = await createRuntime(loadConfig());
} catch (err) {
  if (err instanceof ConfigError || err instanceof DatabaseInUseError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const { config, db, app, log, clock } = runtime;

const seeded = await seedDemoCampaign(db, clock());
const admin = await seedAdmin(db, config);
const stopReconciliation = scheduleReconciliation({ db, stripe: runtime.stripe, config, clock, bus: runtime.bus, log });

const server = serve({ fetch: app.fetch, port: config.port }, () => {
  const u = config.publicUrl;
  const payments = config.emulator
    ? 'built-in Stripe emulator, TEST MODE'
    : `${config.stripeApiBase ? `Stripe-compatible server at ${config.stripeApiBase}` : 'Stripe'}${config.testMode ? ', TEST MODE' : ''}`;
  const lines = [
    `Groundswell is running on ${u}  (database: ${runtime.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}; payments: ${payments})`,
    `  demo page:   ${u}/`,
    `  donate page: ${u}/donate/${DEMO_SLUG}${seeded ? '  (demo campaign created)' : ''}`,
    `  admin:       ${u}/admin`,
    ...(config.emulator ? [`  emulator:    ${u}/emulator  (renewals, refunds, disputes; sign in to the admin first)`] : []),
    ...(admin?.password ? [`  admin login: ${admin.email} / ${admin.password}  (shown once; change it in the admin)`] : []),
  ];
  console.log(lines.join('\n'));
});

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
  await runtime.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
