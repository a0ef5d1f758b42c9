import Stripe from 'stripe';
import type { Config } from './config.js';

/**
 * The real SDK in every mode; only where it connects differs: Stripe itself, STRIPE_API_BASE
 * (any Stripe-compatible server), or the built-in emulator, which the runtime hands in as an
 * in-process HTTP client together with the emulator's own key (server/runtime.ts).
 */
export function createStripeClient(
  config: Pick<Config, 'stripeSecretKey' | 'stripeApiBase'>,
  opts: { apiKey?: string; httpClient?: Stripe.HttpClient } = {},
): Stripe {
  // A Stripe-compatible test server (stripe-mock) accepts any test key.
  const key = opts.apiKey ?? config.stripeSecretKey ?? (config.stripeApiBase ? 'sk_test_groundswell' : undefined);
  if (!key) throw new Error('createStripeClient: no API key (STRIPE_SECRET_KEY, or the emulator key from the runtime)');
  const common: Stripe.StripeConfig = {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'Groundswell' },
    ...(opts.httpClient ? { httpClient: opts.httpClient } : {}),
  };
  const base = config.stripeApiBase;
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
