import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createStripeEmulator } from '../../../server/stripe-emulator/index.js';
import { API_KEY, WEBHOOK_SECRET, paymentParams, setup, emulatorPerTest } from './harness.js';

const env = emulatorPerTest();

describe('webhook delivery', () => {
  it('retries a 500 with a freshly signed header until the app answers 2xx', async () => {
    // The first two attempts at charge.succeeded fail; everything else succeeds.
    let failures = 0;
    const status = (_n: number, e: Stripe.Event) => (e.type === 'charge.succeeded' && failures++ < 2 ? 500 : 200);
    const { stripe, emulator, received } = env({ retryDelaysMs: [5, 5, 5], status });
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    await emulator.flush();
    const first = emulator.events()[0]!;
    const attempts = received.filter((r) => r.event.id === first.id);
    expect(attempts).toHaveLength(3);
    for (const a of attempts) {
      expect(() => new Stripe('sk_test_x').webhooks.constructEvent(a.body, a.headers['Stripe-Signature']!, WEBHOOK_SECRET)).not.toThrow();
    }
    // Every event eventually arrived once successfully.
    expect(new Set(received.map((r) => r.event.id)).size).toBe(3);
    const listed = await stripe.events.list({ delivery_success: false });
    expect(listed.data).toHaveLength(0);
    expect(emulator.events().every((e) => e.pending_webhooks === 0)).toBe(true);
  });

  it('returns after the first attempt while retries continue in the background, and gives up after the schedule', async () => {
    const calls: string[] = [];
    const emulator = createStripeEmulator({
      webhookSecret: WEBHOOK_SECRET,
      publicUrl: 'http://localhost:3999',
      apiKey: API_KEY,
      admin: async () => ({ csrfToken: 'x' }),
      retryDelaysMs: [20, 20],
      deliver: async (body) => {
        calls.push((JSON.parse(body) as { type: string }).type);
        throw new Error('connection refused');
      },
    });
    env.defer(() => emulator.close());
    const stripe = new Stripe(API_KEY, { httpClient: Stripe.createFetchHttpClient(emulator.fetch), maxNetworkRetries: 0 });
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    // Each event was tried once, in generation order, before completeCheckout resolved.
    expect(calls).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
    await emulator.flush();
    expect(calls).toHaveLength(9); // 3 events × (1 + 2 retries)
    const failed = await stripe.events.list({ delivery_success: false });
    expect(failed.data).toHaveLength(3);
    expect(failed.data[0]!.pending_webhooks).toBe(1);
    const page = await (await emulator.fetch('http://x/emulator')).text();
    expect(page).toContain('failed (3 attempts, last connection refused)');
  });

  it('close() stops pending retries so flush() resolves at once', async () => {
    const { stripe, emulator, received } = env({ retryDelaysMs: [60_000], status: () => 503 });
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    emulator.close();
    await emulator.flush();
    expect(received).toHaveLength(3);
  });

  it('delivers the events of concurrent control calls without interleaving them', async () => {
    const { stripe, emulator, types } = env();
    const a = await stripe.checkout.sessions.create(paymentParams());
    const b = await stripe.checkout.sessions.create(paymentParams());
    await Promise.all([emulator.completeCheckout(a.id), emulator.completeCheckout(b.id)]);
    const t = types();
    expect(t.slice(0, 3)).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
    expect(t.slice(3)).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
  });

  it('signs with the wall clock even when the emulator clock is elsewhere in time', async () => {
    const { stripe, emulator, received } = env({ clock: () => new Date('2024-12-31T23:00:00Z') });
    const s = await stripe.checkout.sessions.create(paymentParams());
    await emulator.completeCheckout(s.id);
    expect(received[0]!.event.created).toBe(Date.parse('2024-12-31T23:00:00Z') / 1000);
    const t = Number(/t=(\d+)/.exec(received[0]!.headers['Stripe-Signature']!)![1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
  });
});
