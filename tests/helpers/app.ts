import Stripe from 'stripe';
import { createApp } from '../../server/app.js';
import { type Config, loadConfig } from '../../server/config.js';
import { type ProgressBus, createPgBus, createPgliteBus } from '../../server/live/bus.js';
import { createLogger } from '../../server/logger.js';
import { type StripeEmulator, createStripeEmulator } from '../../server/stripe-emulator/index.js';
import { createStripeClient } from '../../server/stripe.js';
import { type DbKind, type TestDatabase, createTestDatabase } from './db.js';

export const WEBHOOK_SECRET = 'whsec_test_groundswell_secret';

export interface TestContext {
  kind: DbKind;
  db: TestDatabase['db'];
  database: TestDatabase;
  app: ReturnType<typeof createApp>;
  stripe: Stripe;
  emulator: StripeEmulator;
  bus: ProgressBus;
  config: Config;
  clock: { now: Date; (): Date; set(d: Date | string): void; advance(ms: number): void };
  /** Signs a payload with the configured secret (SDK test helper) and posts it to /webhooks/stripe. */
  deliver(event: object | string, opts?: { secret?: string; timestamp?: number }): Promise<Response>;
  close(): Promise<void>;
}

export function fakeClock(start: Date | string = new Date()): TestContext['clock'] {
  const f = (() => f.now) as TestContext['clock'];
  f.now = new Date(start);
  f.set = (d) => void (f.now = new Date(d));
  f.advance = (ms) => void (f.now = new Date(f.now.getTime() + ms));
  return f;
}

const signer = new Stripe('sk_test_signer');

export function signPayload(payload: string, secret = WEBHOOK_SECRET, timestamp?: number): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) });
}

/**
 * A whole app on a fresh database, wired to the in-process Stripe emulator through the real SDK
 * (Stripe.createFetchHttpClient): requests go SDK → emulator, webhooks go emulator → app, no
 * sockets. `env` overrides configuration.
 */
export async function createTestContext(
  kind: DbKind,
  /** stripeApi: wraps the emulator's fetch (e.g. a StripeWorld serving objects a test invented). */
  opts: { env?: Record<string, string>; clock?: TestContext['clock']; stripeApi?: (emulator: typeof fetch) => typeof fetch } = {},
): Promise<TestContext> {
  const database = await createTestDatabase(kind);
  const config = loadConfig({
    PUBLIC_URL: 'http://groundswell.test',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const clock = opts.clock ?? fakeClock(new Date());
  const log = createLogger(config.logLevel);
  const bus = database.pglite ? createPgliteBus(database.pglite) : createPgBus(database.url!, log);
  let app: ReturnType<typeof createApp> | undefined;
  const emulator = createStripeEmulator({
    webhookSecret: WEBHOOK_SECRET,
    publicUrl: config.publicUrl,
    clock,
    retryDelaysMs: [],
    deliver: async (body, headers) => {
      const res = await app!.request('/webhooks/stripe', { method: 'POST', body, headers });
      return { status: res.status };
    },
  });
  const stripe = createStripeClient(config, {
    emulatorBase: 'http://stripe-emulator.test',
    httpClient: Stripe.createFetchHttpClient(opts.stripeApi ? opts.stripeApi(emulator.fetch) : emulator.fetch),
  });
  app = createApp({ db: database.db, stripe, config, clock, bus, log, emulatorRoutes: emulator.app });
  const deliver = (event: object | string, o: { secret?: string; timestamp?: number } = {}) => {
    const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
    return Promise.resolve(
      app!.request('/webhooks/stripe', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, o.secret, o.timestamp) },
      }),
    );
  };
  return {
    kind,
    db: database.db,
    database,
    app,
    stripe,
    emulator,
    bus,
    config,
    clock,
    deliver,
    async close() {
      emulator.close();
      app!.close();
      await bus.close();
      await database.drop();
    },
  };
}
