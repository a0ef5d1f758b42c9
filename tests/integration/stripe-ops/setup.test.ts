import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupWebhookEndpoint } from '../../../server/stripe-ops/setup.js';
import { type StripeEmulator, createStripeEmulator } from '../../../server/stripe-emulator/index.js';
import { HANDLED_TYPES } from '../../../server/webhooks/handlers.js';
import { type TestContext, createTestContext } from '../../helpers/app.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PINNED = Stripe.API_VERSION;
const HANDLED = [...HANDLED_TYPES].sort();

describe('npm run stripe:setup against a Stripe-compatible server (the emulator over HTTP)', () => {
  let emulator: StripeEmulator;
  let server: ReturnType<typeof serve>;
  let base: string;
  const KEY = 'sk_test_setup_0123456789abcdef';
  const sdk = () => {
    const u = new URL(base);
    return new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http' });
  };
  beforeAll(async () => {
    emulator = createStripeEmulator({
      apiKey: KEY,
      webhookSecret: 'whsec_unused',
      publicUrl: 'http://127.0.0.1',
      admin: async () => null,
      deliver: async () => ({ status: 200 }),
    });
    server = serve({ fetch: emulator.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    emulator?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const run = (env: Record<string, string | undefined> = {}) =>
    promisify(execFile)('npx', ['tsx', 'server/stripe-ops/setup-cli.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STRIPE_SECRET_KEY: KEY,
        STRIPE_API_BASE: base,
        PUBLIC_URL: 'https://donate.example.org',
        ...env,
      },
    });

  it('creates the endpoint pinned to the SDK version with exactly the handled events, then changes nothing', async () => {
    const first = await run();
    expect(first.stdout).toMatch(/Webhook endpoint created/);
    const secret = /Signing secret \(shown only now\): (whsec_\S+)/.exec(first.stdout)?.[1];
    expect(secret).toBeTruthy();

    const endpoints = (await sdk().webhookEndpoints.list()).data;
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ url: 'https://donate.example.org/webhooks/stripe', api_version: PINNED, status: 'enabled' });
    expect([...endpoints[0]!.enabled_events].sort()).toEqual(HANDLED);
    expect(endpoints[0]).not.toHaveProperty('secret');

    const second = await run();
    expect(second.stdout).toMatch(/up to date, nothing changed/);
    expect(second.stdout).not.toMatch(/whsec_/);
    const after = (await sdk().webhookEndpoints.list()).data;
    expect(after).toEqual(endpoints);
  });

  it('refuses without PUBLIC_URL, in one line', async () => {
    await expect(run({ PUBLIC_URL: undefined })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/PUBLIC_URL is required/),
    });
  });
});

describe('stripe:setup against the built-in emulator (in process)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());
  const url = 'http://groundswell.test/webhooks/stripe';

  it('second run changes nothing; drift in events or status is put back and reported', async () => {
    const first = await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl);
    expect(first).toMatchObject({ action: 'created', endpoint: { url, api_version: PINNED } });
    expect(first.secret).toMatch(/^whsec_/);
    const again = await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl);
    expect(again).toMatchObject({ action: 'unchanged', secret: null, changes: [] });

    // Someone trims the event list in the Dashboard and disables the endpoint.
    await ctx.stripe.webhookEndpoints.update(first.endpoint.id, {
      enabled_events: ['charge.refunded', 'customer.created'],
      disabled: true,
    });
    const fixed = await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl);
    expect(fixed.action).toBe('updated');
    expect(fixed.changes.join('\n')).toMatch(/events added: .*checkout\.session\.completed/);
    expect(fixed.changes.join('\n')).toMatch(/events removed: customer\.created/);
    expect(fixed.changes.join('\n')).toMatch(/enabled again/);
    const now = await ctx.stripe.webhookEndpoints.retrieve(first.endpoint.id);
    expect([...now.enabled_events].sort()).toEqual(HANDLED);
    expect(now.status).toBe('enabled');
    expect((await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl)).action).toBe('unchanged');
  });

  it('replaces an endpoint made in another API version (Stripe cannot change it) and disables the old one', async () => {
    for (const e of (await ctx.stripe.webhookEndpoints.list()).data) await ctx.stripe.webhookEndpoints.del(e.id);
    // As made in the Dashboard: no api_version, so the account's old default.
    const old = await ctx.stripe.webhookEndpoints.create({ url, enabled_events: ['*'] });
    expect(old.api_version).not.toBe(PINNED);
    const r = await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl);
    expect(r.action).toBe('replaced');
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.endpoint.api_version).toBe(PINNED);
    expect((await ctx.stripe.webhookEndpoints.retrieve(old.id)).status).toBe('disabled');
    expect((await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl)).action).toBe('unchanged');
  });

  it('the emulator validates like Stripe: api_version cannot be updated, bad URLs and events are refused', async () => {
    const [e] = (await ctx.stripe.webhookEndpoints.list()).data;
    await expect(
      ctx.stripe.webhookEndpoints.update(e!.id, { api_version: PINNED } as Stripe.WebhookEndpointUpdateParams),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'api_version' });
    await expect(ctx.stripe.webhookEndpoints.create({ url: 'ftp://x', enabled_events: ['*'] })).rejects.toMatchObject({ param: 'url' });
    await expect(
      ctx.stripe.webhookEndpoints.create({ url, enabled_events: ['DROP TABLE' as Stripe.WebhookEndpointCreateParams.EnabledEvent] }),
    ).rejects.toMatchObject({ param: 'enabled_events[0]' });
  });
});
