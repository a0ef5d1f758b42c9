import { afterEach } from 'vitest';
/**
 * Drives the emulator the way the app does: through the real `stripe` SDK, whose fetch client
 * builds `https://api.stripe.com:443/v1/...` URLs; emulator.fetch hands the request to the Hono
 * app, which routes on the path alone, so no socket or host override is needed in tests.
 */
import Stripe from 'stripe';
import { createStripeEmulator, type EmulatorOptions } from '../../../server/stripe-emulator/index.js';

export const WEBHOOK_SECRET = 'whsec_emulator_test_secret';
export const PUBLIC_URL = 'http://localhost:3999';
/** The emulator's own key in these tests (the runtime makes a random one per process). */
export const API_KEY = 'sk_test_emulator_harness';
/** The dashboard's gate: tests are a signed-in admin with this CSRF token unless they pass `admin`. */
export const CSRF_TOKEN = 'csrf-token-of-the-test-admin';

export interface Received {
  body: string;
  headers: Record<string, string>;
  event: Stripe.Event;
}

export function setup(opts: Partial<EmulatorOptions> & { status?: (n: number, event: Stripe.Event) => number } = {}) {
  const received: Received[] = [];
  const verifier = new Stripe('sk_test_verifier');
  let attempt = 0;
  const emulator = createStripeEmulator({
    webhookSecret: WEBHOOK_SECRET,
    publicUrl: PUBLIC_URL,
    apiKey: API_KEY,
    admin: async () => ({ csrfToken: CSRF_TOKEN }),
    retryDelaysMs: [],
    deliver: async (body, headers) => {
      // Verification exactly as the app must do it: raw body, header, secret.
      const event = verifier.webhooks.constructEvent(body, headers['Stripe-Signature']!, WEBHOOK_SECRET);
      received.push({ body, headers, event });
      return { status: opts.status ? opts.status(attempt++, event) : 200 };
    },
    ...opts,
  });
  const stripe = new Stripe(API_KEY, {
    httpClient: Stripe.createFetchHttpClient(emulator.fetch),
    maxNetworkRetries: 0,
  });
  return { emulator, stripe, received, types: () => received.map((r) => r.event.type) };
}

export const paymentParams = (over: Partial<Stripe.Checkout.SessionCreateParams> = {}): Stripe.Checkout.SessionCreateParams => ({
  mode: 'payment',
  submit_type: 'donate',
  line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 2500, product_data: { name: 'Donation to Keep media alive' } } }],
  success_url: 'http://localhost:3999/thanks?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'http://localhost:3999/donate/demo?canceled=1',
  client_reference_id: 'gift-1',
  customer_email: 'donor@example.org',
  metadata: { gift_id: 'gift-1', campaign: 'demo' },
  payment_intent_data: { metadata: { gift_id: 'gift-1', campaign: 'demo' } },
  ...over,
});

export const subscriptionParams = (over: Partial<Stripe.Checkout.SessionCreateParams> = {}): Stripe.Checkout.SessionCreateParams => ({
  mode: 'subscription',
  submit_type: 'donate',
  line_items: [
    {
      quantity: 1,
      price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Monthly donation' } },
    },
  ],
  success_url: 'http://localhost:3999/thanks?session_id={CHECKOUT_SESSION_ID}',
  customer_email: 'monthly@example.org',
  metadata: { gift_id: 'gift-m', campaign: 'demo' },
  subscription_data: { metadata: { gift_id: 'gift-m', campaign: 'demo' } },
  ...over,
});

/** A fresh emulator per call, each closed after its test (timers and retries stop);
 * `env.defer(fn)` adds other clean-up (servers, hand-made emulators). */
export function emulatorPerTest() {
  let closers: (() => void)[] = [];
  afterEach(() => {
    for (const f of closers) f();
    closers = [];
  });
  const env = (...a: Parameters<typeof setup>) => {
    const h = setup(...a);
    closers.push(() => h.emulator.close());
    return h;
  };
  return Object.assign(env, { defer: (fn: () => void) => void closers.push(fn) });
}
