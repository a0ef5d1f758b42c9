import Stripe from 'stripe';
import type { Config } from './config.js';

/**
 * The real SDK in every mode; only where it connects differs: Stripe itself, STRIPE_API_BASE
 * (any Stripe-compatible server), or the built-in emulator: in process through opts.httpClient
 * (server/main.ts, test contexts) or over HTTP at opts.emulatorBase (the browser tests' server).
 */
export function createStripeClient(config: Config, opts: { emulatorBase?: string; httpClient?: Stripe.HttpClient } = {}): Stripe {
  const base = config.stripeApiBase ?? (config.emulator ? opts.emulatorBase : undefined);
  const key = config.stripeSecretKey ?? 'sk_test_groundswell_emulator';
  const common: Stripe.StripeConfig = {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'Groundswell' },
    ...(opts.httpClient ? { httpClient: opts.httpClient } : {}),
  };
  if (!base) return new Stripe(key, common);
  const u = new URL(base);
  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(key, {
    ...common,
    host: u.hostname,
    port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80,
    protocol,
  });
}
