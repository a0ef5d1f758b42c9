/**
 * `npm run stripe:setup`: creates or updates the webhook endpoint for PUBLIC_URL (see setup.ts).
 * Needs STRIPE_SECRET_KEY (or STRIPE_API_BASE for a Stripe-compatible server) and PUBLIC_URL.
 * Exit codes: 0 done, 1 Stripe refused or failed, 2 configuration.
 */
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { ConfigError, loadSetupConfig } from '../config.js';
import { createStripeClient } from '../stripe.js';
import { describeSetup, setupWebhookEndpoint } from './setup.js';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadSetupConfig>;
  try {
    config = loadSetupConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (!config.stripeSecretKey && !config.stripeApiBase) {
    console.error(
      'STRIPE_SECRET_KEY is not set: payments run on the built-in emulator, which delivers webhooks to the server itself, so there is nothing to set up. Set STRIPE_SECRET_KEY (and PUBLIC_URL) to connect Stripe.',
    );
    return 2;
  }
  const stripe = createStripeClient(config);
  try {
    for (const line of describeSetup(await setupWebhookEndpoint(stripe, config.publicUrl))) console.log(line);
    return 0;
  } catch (err) {
    const why =
      err instanceof Stripe.errors.StripeError
        ? `Stripe ${err.statusCode ?? ''} ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    console.error(`stripe:setup failed: ${why}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
