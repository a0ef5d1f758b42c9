import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { API_KEY, CSRF_TOKEN, PUBLIC_URL, emulatorPerTest, paymentParams, subscriptionParams } from './harness.js';

/** SPEC §2 and issue 8 item 2: the zero-config server must not publish donors or move money for strangers. */
const env = emulatorPerTest();

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual',
});

const stripeError = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('should fail'),
    (e: unknown) => e as Stripe.errors.StripeError,
  );

describe('the REST API answers only to the emulator’s own key', () => {
  it('gives no events (donor e-mails) to any other test key, through the SDK or by hand', async () => {
    const { emulator, stripe } = env();
    const s = await stripe.checkout.sessions.create(paymentParams({ customer_email: 'secret-donor@example.org' }));
    await emulator.completeCheckout(s.id);

    for (const key of [
      'sk_test_emulator',
      'sk_test_groundswell_emulator',
      'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
      `${API_KEY}x`,
      'rk_test_abc',
    ]) {
      const stranger = new Stripe(key, { httpClient: Stripe.createFetchHttpClient(emulator.fetch), maxNetworkRetries: 0 });
      const err = await stripeError(stranger.events.list());
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      const res = await emulator.fetch(`${PUBLIC_URL}/v1/events`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain('secret-donor');
      expect(text).not.toContain(API_KEY);
    }
    // Basic auth as curl -u sends it is not a way around either.
    const basic = await emulator.fetch(`${PUBLIC_URL}/v1/events`, {
      headers: { Authorization: `Basic ${Buffer.from('sk_test_x:').toString('base64')}` },
    });
    expect(basic.status).toBe(401);

    const events = await stripe.events.list();
    expect(JSON.stringify(events.data)).toContain('secret-donor@example.org');
  });

  it('makes a fresh random key per emulator when none is given', async () => {
    const { createStripeEmulator } = await import('../../../server/stripe-emulator/index.js');
    const a = createStripeEmulator({
      webhookSecret: 'whsec_a',
      publicUrl: PUBLIC_URL,
      admin: async () => null,
      deliver: async () => ({ status: 200 }),
    });
    const b = createStripeEmulator({
      webhookSecret: 'whsec_a',
      publicUrl: PUBLIC_URL,
      admin: async () => null,
      deliver: async () => ({ status: 200 }),
    });
    env.defer(() => (a.close(), b.close()));
    expect(a.apiKey).toMatch(/^sk_test_\w{32,}$/);
    expect(a.apiKey).not.toBe(b.apiKey);
  });
});

describe('the dashboard and its actions need a signed-in admin', () => {
  it('shows a stranger no dashboard and refuses every action without touching money', async () => {
    const { emulator, stripe, types } = env({ admin: async () => null });
    const s = await stripe.checkout.sessions.create(paymentParams({ customer_email: 'secret-donor@example.org' }));
    await emulator.completeCheckout(s.id);
    const pi = (await stripe.checkout.sessions.retrieve(s.id)).payment_intent as string;
    const before = types().length;

    const page = await emulator.fetch(`${PUBLIC_URL}/emulator`);
    expect(page.status).toBe(401);
    const text = await page.text();
    expect(text).not.toContain(pi);
    expect(text).toContain('/admin'); // says where to sign in

    for (const [action, fields] of [
      ['refund', { id: pi }],
      ['dispute', { id: pi }],
      ['expire', { id: s.id }],
    ] as const) {
      const res = await emulator.fetch(`${PUBLIC_URL}/emulator/actions/${action}`, form({ ...fields, csrf_token: CSRF_TOKEN }));
      expect(res.status).toBe(401);
    }
    expect(types()).toHaveLength(before);
  });

  it('refuses a signed-in admin’s action without the session’s CSRF token or from another site', async () => {
    const { emulator, stripe, types } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    await emulator.completeCheckout(s.id);
    const sub = (await stripe.checkout.sessions.retrieve(s.id)).subscription as string;
    const before = types().length;
    const post = (fields: Record<string, string>, headers?: Record<string, string>) =>
      emulator.fetch(`${PUBLIC_URL}/emulator/actions/renew`, form({ id: sub, ...fields }, headers));
    expect((await post({})).status).toBe(403);
    expect((await post({ csrf_token: 'guess' })).status).toBe(403);
    expect((await post({ csrf_token: CSRF_TOKEN }, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post({ csrf_token: CSRF_TOKEN }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(types()).toHaveLength(before);
    expect((await post({ csrf_token: CSRF_TOKEN })).status).toBe(303);
    expect(types().length).toBeGreaterThan(before);
  });

  it('keeps the hosted checkout page public: donors have no admin session', async () => {
    const { emulator, stripe } = env({ admin: async () => null });
    const s = await stripe.checkout.sessions.create(paymentParams());
    expect((await emulator.fetch(s.url!)).status).toBe(200);
    const paid = await emulator.fetch(`${s.url}/pay`, form({ email: 'donor@example.org', outcome: 'paid' }));
    expect(paid.status).toBe(303);
  });
});

describe('donors are only ever sent back to PUBLIC_URL', () => {
  it.each([
    ['success_url', { success_url: 'https://evil.example/phish?session_id={CHECKOUT_SESSION_ID}' }],
    ['success_url', { success_url: 'http://localhost:3999.evil.example/thanks' }],
    ['success_url', { success_url: 'http://user@evil.example/thanks' }],
    ['cancel_url', { cancel_url: 'https://evil.example/' }],
    ['cancel_url', { cancel_url: 'http://localhost:4000/donate/demo' }],
  ])('refuses a session whose %s leaves PUBLIC_URL’s origin', async (param, over) => {
    const { stripe, emulator } = env();
    const err = await stripeError(stripe.checkout.sessions.create(paymentParams(over)));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.param).toBe(param);
    expect(emulator.stats().sessions).toBe(0);
  });
});

describe('body limits', () => {
  /** Streams up to `total` bytes as a chunked POST; resolves with the status and how much was sent by then. */
  async function streamPost(port: number, path: string, total: number, headers: Record<string, string>) {
    return new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'Transfer-Encoding': 'chunked' } });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      req.on('response', (res) => {
        done = true;
        resolve({ status: res.statusCode ?? 0, sent });
        res.resume();
        req.destroy();
      });
      req.on('error', (err) => (done ? undefined : reject(err)));
      const pump = () => {
        while (!done && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!done) req.end();
      };
      pump();
    });
  }

  it('answers 413 to a huge chunked body on the API, the checkout page and the actions without reading it all', async () => {
    const { emulator, stripe } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const server = serve({ fetch: emulator.app.fetch, port: 0, hostname: '127.0.0.1' });
    env.defer(() => server.close());
    if (!server.listening) await new Promise<void>((r) => server.once('listening', () => r()));
    const { port } = server.address() as AddressInfo;
    const total = 300 * 1024 * 1024;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    for (const [path, headers] of [
      ['/v1/checkout/sessions', { ...form, Authorization: `Bearer ${API_KEY}` }],
      [`/emulator/checkout/${s.id}/pay`, form],
      ['/emulator/actions/refund', form],
    ] as const) {
      const { status, sent } = await streamPost(port, path, total, headers);
      expect(status, path).toBe(413);
      // The answer came while the client was still sending: far less than the whole body was taken.
      expect(sent, path).toBeLessThan(total / 4);
    }
  }, 60_000);

  it('answers 413 to a declared oversize body before reading it', async () => {
    const { emulator } = env();
    const big = 'a'.repeat(2 * 1024 * 1024);
    const res = await emulator.fetch(`${PUBLIC_URL}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});

describe('bounded memory', () => {
  it('keeps at most the configured number of sessions and events however many are created', async () => {
    const { stripe, emulator } = env({ retention: { maxObjects: 40, maxEvents: 60 } });
    for (let i = 0; i < 300; i++) {
      const s = await stripe.checkout.sessions.create(paymentParams({ client_reference_id: `g${i}` }));
      if (i % 3 === 0) await emulator.completeCheckout(s.id);
      else if (i % 3 === 1) await emulator.expireCheckout(s.id);
    }
    const stats = emulator.stats();
    expect(stats.sessions).toBeLessThanOrEqual(40);
    expect(stats.paymentIntents).toBeLessThanOrEqual(40);
    expect(stats.charges).toBeLessThanOrEqual(40);
    expect(stats.events).toBeLessThanOrEqual(60);
    expect(stats.deliveryRecords).toBeLessThanOrEqual(60);
    // The newest are the ones kept, and the API still works on them.
    const page = await stripe.events.list({ limit: 100 });
    expect(page.data.length).toBeLessThanOrEqual(60);
  });

  it('forgets an expired session an hour after it expired, and events after 30 days', async () => {
    let now = new Date('2026-12-01T10:00:00Z');
    const { stripe, emulator } = env({ clock: () => now });
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.expireCheckout(s.id);
    expect((await stripe.checkout.sessions.retrieve(s.id)).status).toBe('expired');
    now = new Date(now.getTime() + 61 * 60_000);
    const err = await stripeError(stripe.checkout.sessions.retrieve(s.id));
    expect(err.statusCode).toBe(404);
    expect(emulator.stats().events).toBe(1);
    now = new Date(now.getTime() + 31 * 86_400_000);
    await stripe.checkout.sessions.create(paymentParams());
    expect((await stripe.events.list()).data).toHaveLength(0);
    expect(emulator.stats().events).toBe(0);
  });

  it('keeps Idempotency-Keys for 24 hours, as Stripe does', async () => {
    let now = new Date('2026-12-01T10:00:00Z');
    const { stripe, emulator } = env({ clock: () => now });
    const a = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'k1' });
    expect((await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'k1' })).id).toBe(a.id);
    now = new Date(now.getTime() + 25 * 3600_000);
    const b = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'k1' });
    expect(b.id).not.toBe(a.id);
    expect(emulator.stats().idempotencyKeys).toBe(1);
  });
});
