/**
 * One wiring (STYLE 16, 18): the database, the progress bus, the Stripe client, the emulator when
 * it is chosen, and the app, built once in one place. server/main.ts, the test helpers and the
 * browser suite all call createRuntime, so what the tests run is what production runs.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseCookies } from 'hono/utils/cookie';
import Stripe from 'stripe';
import { type DatabaseHandle, connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { hasRole, loadSession, sessionCookieName } from './admin/auth.js';
import { type App, createApp } from './app.js';
import type { Config } from './config.js';
import { type ProgressBus, createPgBus, createPgliteBus } from './live/bus.js';
import { type Logger, createLogger } from './logger.js';
import type { EmulatorOptions, StripeEmulator } from './stripe-emulator/index.js';
import { createStripeClient } from './stripe.js';

export interface RuntimeOptions {
  /** An open, migrated database to use instead of connecting (tests). The caller closes it. */
  database?: DatabaseHandle & { url?: string };
  clock?: () => Date;
  log?: Logger;
  /** The SDK's HTTP client when STRIPE_API_BASE names a test double (tests). */
  stripeHttpClient?: Stripe.HttpClient;
  /** Emulator settings for tests: retry schedule, delayed-method delay, another signing secret. */
  emulator?: Partial<Pick<EmulatorOptions, 'retryDelaysMs' | 'asyncSettleDelayMs' | 'webhookSecret' | 'retention'>>;
  /** Tests: wraps the SDK's in-process way to the emulator (e.g. to serve objects a test invented). */
  wrapEmulatorFetch?: (emulatorFetch: typeof fetch) => typeof fetch;
}

export interface Runtime {
  config: Config;
  db: DatabaseHandle['db'];
  database: DatabaseHandle;
  bus: ProgressBus;
  stripe: Stripe;
  /** Present only when config.emulator (no STRIPE_SECRET_KEY): the built-in Stripe stand-in. */
  emulator: StripeEmulator | undefined;
  app: App;
  clock: () => Date;
  log: Logger;
  /** Stops the emulator, the app's listeners and the bus, then closes the database it opened. */
  close(): Promise<void>;
}

export async function createRuntime(configIn: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  let config = configIn;
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? (() => new Date());

  const database =
    opts.database ??
    (await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, preparedStatements: config.databasePreparedStatements }));
  const ownsDatabase = !opts.database;
  try {
    if (ownsDatabase) await migrateToLatest(database.db);
    const databaseUrl = opts.database ? opts.database.url : config.databaseUrl;
    const bus = database.pglite ? createPgliteBus(database.pglite) : createPgBus(databaseUrl!, log);

    let app: App | undefined;
    let emulator: StripeEmulator | undefined;
    let stripe: Stripe;
    if (config.emulator) {
      // Demo mode: the emulator signs webhooks with a secret made up per process unless one is given.
      if (!config.stripeWebhookSecret) {
        const made = `whsec_${randomBytes(24).toString('base64url')}`;
        config = { ...config, stripeWebhookSecret: made, stripeWebhookSecrets: [made] };
      }
      // Loaded only when chosen (STYLE 18): a server with a real key never loads the emulator's code.
      const { createStripeEmulator } = await import('./stripe-emulator/index.js');
      const cookieName = sessionCookieName(config);
      emulator = createStripeEmulator({
        webhookSecret: opts.emulator?.webhookSecret ?? config.stripeWebhookSecret!,
        publicUrl: config.publicUrl,
        clock,
        log,
        ...(opts.emulator?.retryDelaysMs && { retryDelaysMs: opts.emulator.retryDelaysMs }),
        ...(opts.emulator?.asyncSettleDelayMs !== undefined && { asyncSettleDelayMs: opts.emulator.asyncSettleDelayMs }),
        ...(opts.emulator?.retention && { retention: opts.emulator.retention }),
        // Its dashboard and actions (refunds, disputes, renewals) move money: signed-in editors and
        // owners only (viewers are read-only, SPEC §11).
        admin: async (req) => {
          const cookie = parseCookies(req.headers.get('cookie') ?? '', cookieName)[cookieName];
          const session = await loadSession(database.db, cookie, clock());
          return session && hasRole(session.role, 'editor') ? { csrfToken: session.csrfToken } : null;
        },
        // Webhooks go straight into the app (no socket): the same route, middleware and checks.
        deliver: async (body, headers) => {
          const res = await app!.request('/webhooks/stripe', { method: 'POST', body, headers });
          return { status: res.status };
        },
      });
      // The SDK reaches the emulator in process, with the key only this process knows.
      stripe = createStripeClient(config, {
        apiKey: emulator.apiKey,
        httpClient: Stripe.createFetchHttpClient(opts.wrapEmulatorFetch ? opts.wrapEmulatorFetch(emulator.fetch) : emulator.fetch),
      });
    } else {
      stripe = createStripeClient(config, opts.stripeHttpClient ? { httpClient: opts.stripeHttpClient } : {});
    }

    app = createApp({
      db: database.db,
      stripe,
      config,
      clock,
      bus,
      log,
      singleConnection: database.kind === 'pglite',
      ...(emulator && { emulatorRoutes: emulator.app }),
    });
    const built = app;
    return {
      config,
      db: database.db,
      database,
      bus,
      stripe,
      emulator,
      app: built,
      clock,
      log,
      async close() {
        emulator?.close();
        built.close();
        await bus.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (err) {
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw err;
  }
}
