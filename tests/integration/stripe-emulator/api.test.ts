import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { API_KEY, PUBLIC_URL, paymentParams, setup, subscriptionParams, emulatorPerTest } from './harness.js';

const env = emulatorPerTest();

async function stripeError(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Stripe.errors.StripeError);
    return err as Stripe.errors.StripeError;
  }
  throw new Error('expected the SDK to throw');
}

describe('POST /v1/checkout/sessions', () => {
  it('creates a payment-mode session with the real field names', async () => {
    const { stripe } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    expect(s.id).toMatch(/^cs_test_/);
    expect(s).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 2500,
      amount_subtotal: 2500,
      currency: 'eur',
      submit_type: 'donate',
      customer: null,
      customer_details: null,
      customer_email: 'donor@example.org',
      client_reference_id: 'gift-1',
      payment_intent: null,
      subscription: null,
      invoice: null,
      livemode: false,
      metadata: { gift_id: 'gift-1', campaign: 'demo' },
      success_url: 'http://localhost:3999/thanks?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'http://localhost:3999/donate/demo?canceled=1',
      ui_mode: 'hosted_page',
    });
    expect(s.url).toBe(`${PUBLIC_URL}/emulator/checkout/${s.id}`);
    expect(s.expires_at - s.created).toBe(24 * 3600);
    // metadata stays on the session; payment_intent_data is not echoed as a session field
    expect(s).not.toHaveProperty('payment_intent_data');

    const again = await stripe.checkout.sessions.retrieve(s.id, { expand: ['line_items'] });
    expect(again.id).toBe(s.id);
    expect(again.line_items?.data[0]).toMatchObject({
      object: 'item',
      amount_total: 2500,
      description: 'Donation to Keep media alive',
      quantity: 1,
    });
    expect(again.line_items?.data[0]?.price).toMatchObject({ unit_amount: 2500, currency: 'eur', type: 'one_time', recurring: null });
  });

  it('creates a subscription-mode session (submit_type donate allowed)', async () => {
    const { stripe } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    expect(s).toMatchObject({ mode: 'subscription', amount_total: 1000, currency: 'usd', status: 'open', submit_type: 'donate' });
  });

  it.each([
    [
      'a recurring price in payment mode',
      paymentParams({
        line_items: [
          { quantity: 1, price_data: { currency: 'eur', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'x' } } },
        ],
      }),
      'line_items[0][price_data][recurring]',
    ],
    [
      'subscription mode without a recurring price',
      subscriptionParams({
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'x' } } }],
      }),
      'line_items[0][price_data][recurring]',
    ],
    [
      'an amount below the currency minimum',
      paymentParams({
        line_items: [{ quantity: 1, price_data: { currency: 'gbp', unit_amount: 29, product_data: { name: 'x' } } }],
      }),
      'line_items[0][price_data][unit_amount]',
    ],
    [
      'an amount above 8 digits',
      paymentParams({
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 100_000_000, product_data: { name: 'x' } } }],
      }),
      'line_items[0][price_data][unit_amount]',
    ],
    [
      'a fractional amount',
      paymentParams({
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 5.5, product_data: { name: 'x' } } }],
      }),
      'line_items[0][price_data][unit_amount]',
    ],
    ['a missing success_url', paymentParams({ success_url: undefined }), 'success_url'],
    ['a missing mode', paymentParams({ mode: undefined }), 'mode'],
    [
      'a missing product name',
      paymentParams({
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: '' } } }],
      }),
      'line_items[0][price_data][product_data][name]',
    ],
    [
      'payment_intent_data in subscription mode',
      subscriptionParams({ payment_intent_data: { metadata: { a: 'b' } } }),
      'payment_intent_data',
    ],
    ['metadata longer than 500 characters', paymentParams({ metadata: { comment: 'x'.repeat(501) } }), 'metadata[comment]'],
    ['a bad customer_email', paymentParams({ customer_email: 'not-an-email' }), 'customer_email'],
  ])('refuses %s with a 400 naming the parameter', async (_name, params, param) => {
    const { stripe } = env();
    const err = await stripeError(stripe.checkout.sessions.create(params));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.param).toBe(param);
  });

  it('accepts HUF at its real minimum of 175.00 Ft (17500) and refuses 175', async () => {
    const { stripe } = env();
    const huf = (unit_amount: number) =>
      paymentParams({ line_items: [{ quantity: 1, price_data: { currency: 'huf', unit_amount, product_data: { name: 'x' } } }] });
    await expect(stripe.checkout.sessions.create(huf(17500))).resolves.toMatchObject({ amount_total: 17500 });
    const err = await stripeError(stripe.checkout.sessions.create(huf(175)));
    expect(err.code).toBe('amount_too_small');
  });

  it('refuses payment_method_types, which stripe@23 removed from session creation', async () => {
    const { stripe } = env();
    const params = { ...paymentParams(), payment_method_types: ['card'] } as Stripe.Checkout.SessionCreateParams;
    const err = await stripeError(stripe.checkout.sessions.create(params));
    expect(err.code).toBe('parameter_unknown');
    expect(err.param).toBe('payment_method_types');
  });

  it('replays the first response for a repeated Idempotency-Key and refuses other params under it', async () => {
    const { stripe, emulator } = env();
    const a = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'gift-1' });
    const b = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'gift-1' });
    expect(b.id).toBe(a.id);
    // lastResponse.headers is typed as a record but is a fetch Headers at runtime: check the replay header raw.
    const post = () =>
      emulator.fetch('http://x/v1/checkout/sessions', {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'raw' },
        body: 'mode=payment&success_url=http%3A%2F%2Flocalhost%3A3999%2Fthanks&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=500&line_items[0][price_data][product_data][name]=x',
      });
    const first = await post();
    const second = await post();
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.text()).toBe(await first.text());

    const err = await stripeError(
      stripe.checkout.sessions.create(paymentParams({ client_reference_id: 'gift-2' }), { idempotencyKey: 'gift-1' }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);

    const c = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'gift-3' });
    expect(c.id).not.toBe(a.id);
  });

  it('does not remember a failed request under its key', async () => {
    const { stripe } = env();
    await stripeError(stripe.checkout.sessions.create(paymentParams({ success_url: undefined }), { idempotencyKey: 'k' }));
    await expect(stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: 'k' })).resolves.toMatchObject({ status: 'open' });
  });
});

describe('authentication and unknown resources', () => {
  it('answers 401 without a test key', async () => {
    const { emulator } = env();
    for (const key of ['sk_live_123', 'pk_test_123']) {
      const live = new Stripe(key, { httpClient: Stripe.createFetchHttpClient(emulator.fetch), maxNetworkRetries: 0 });
      const err = await stripeError(live.checkout.sessions.create(paymentParams()));
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    }
    const res = await emulator.fetch('http://x/v1/events');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('answers 404 resource_missing for unknown ids and unknown paths', async () => {
    const { stripe } = env();
    const err = await stripeError(stripe.checkout.sessions.retrieve('cs_test_nope'));
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('resource_missing');
    const err2 = await stripeError(stripe.products.list());
    expect(err2.statusCode).toBe(404);
  });
});

describe('expire and events', () => {
  it('expires an open session through the API and sends checkout.session.expired', async () => {
    const { stripe, emulator, types, received } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const expired = await stripe.checkout.sessions.expire(s.id);
    expect(expired).toMatchObject({ id: s.id, status: 'expired', url: null });
    await emulator.flush();
    expect(types()).toEqual(['checkout.session.expired']);
    expect(received[0]!.event.request?.id).toMatch(/^req_/);
    const err = await stripeError(stripe.checkout.sessions.expire(s.id));
    expect(err.statusCode).toBe(400);
  });

  it('lists events newest first with type, types[] and limit filters and pagination', async () => {
    const { stripe, emulator } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    const all = await stripe.events.list({ limit: 100 });
    expect(all.data.map((e) => e.type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded']);
    expect(all.object).toBe('list');
    expect(all.url).toBe('/v1/events');
    const page1 = await stripe.events.list({ limit: 2 });
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.events.list({ limit: 2, starting_after: page1.data[1]!.id });
    expect(page2.data.map((e) => e.type)).toEqual(['charge.succeeded']);
    expect(page2.has_more).toBe(false);
    expect((await stripe.events.list({ type: 'charge.*' })).data.map((e) => e.type)).toEqual(['charge.succeeded']);
    const both = await stripe.events.list({ types: ['charge.succeeded', 'checkout.session.completed'] });
    expect(both.data).toHaveLength(2);
    const one = await stripe.events.retrieve(all.data[0]!.id);
    expect(one).toMatchObject({ object: 'event', api_version: '2026-10-28.endive', livemode: false, pending_webhooks: 0 });
    expect(emulator.events().map((e) => e.id)).toEqual(all.data.map((e) => e.id).reverse());
  });
});

describe('mounting', () => {
  it('keeps Stripe-shaped errors when mounted in an app with its own onError', async () => {
    const { emulator } = env();
    const parent = new Hono();
    parent.onError((_e, c) => c.json({ error: { code: 'internal', message: 'app error' } }, 500));
    parent.route('/', emulator.app);
    const stripe = new Stripe(API_KEY, {
      httpClient: Stripe.createFetchHttpClient(async (i, init) => parent.fetch(new Request(i, init))),
      maxNetworkRetries: 0,
    });
    const err = await stripeError(stripe.checkout.sessions.create(paymentParams({ success_url: undefined })));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.param).toBe('success_url');
  });

  it('serves the SDK over a real socket with {host, port, protocol: http}', async () => {
    const { emulator } = env();
    const server = serve({ fetch: emulator.app.fetch, port: 0, hostname: '127.0.0.1' });
    env.defer(() => server.close());
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as { port: number };
    const stripe = new Stripe(API_KEY, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    const s = await stripe.checkout.sessions.create(paymentParams());
    expect((await stripe.checkout.sessions.retrieve(s.id)).id).toBe(s.id);
  });
});
