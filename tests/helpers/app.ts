import Stripe from 'stripe';
import type { App } from '../../server/app.js';
import { type Config, loadConfig } from '../../server/config.js';
import type { ProgressBus } from '../../server/live/bus.js';
import { type Runtime, createRuntime } from '../../server/runtime.js';
import type { StripeEmulator } from '../../server/stripe-emulator/index.js';
import { type DbKind, type TestDatabase, createTestDatabase } from './db.js';

export const WEBHOOK_SECRET = 'whsec_test_groundswell_secret';

export interface TestContext {
  kind: DbKind;
  db: TestDatabase['db'];
  database: TestDatabase;
  app: App;
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
 * A whole app on a fresh database, built by the same createRuntime as server/main.ts: the real
 * SDK talks to the in-process Stripe emulator, webhooks go emulator → app, no sockets. `env`
 * overrides configuration.
 */
export async function createTestContext(
  kind: DbKind,
  /** stripeApi: wraps the emulator's fetch (e.g. a StripeWorld serving objects a test invented). */
  opts: { env?: Record<string, string>; clock?: TestContext['clock']; stripeApi?: (emulator: typeof fetch) => typeof fetch } = {},
): Promise<TestContext> {
  const database = await createTestDatabase(kind);
  const env = opts.env ?? {};
  const config = loadConfig({
    PUBLIC_URL: 'http://groundswell.test',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOG_LEVEL: 'silent',
    // Tests run on the emulator on purpose, https PUBLIC_URL included.
    ...(!env.STRIPE_SECRET_KEY && !env.STRIPE_API_BASE && { STRIPE_EMULATOR: '1' }),
    ...env,
  });
  const clock = opts.clock ?? fakeClock(new Date());
  let runtime: Runtime;
  try {
    // The emulator keeps signing with WEBHOOK_SECRET even when a test configures the app with another.
    runtime = await createRuntime(config, {
      database,
      clock,
      emulator: { webhookSecret: WEBHOOK_SECRET, retryDelaysMs: [] },
      ...(opts.stripeApi && { wrapEmulatorFetch: opts.stripeApi }),
    });
  } catch (err) {
    await database.drop();
    throw err;
  }
  const { app, stripe, bus, emulator } = runtime;
  if (!emulator) throw new Error('createTestContext runs on the emulator');
  const deliver = (event: object | string, o: { secret?: string; timestamp?: number } = {}) => {
    const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
    return Promise.resolve(
      app.request('/webhooks/stripe', {
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
    config: runtime.config,
    clock,
    deliver,
    async close() {
      await runtime.close();
      await database.drop();
    },
  };
}
