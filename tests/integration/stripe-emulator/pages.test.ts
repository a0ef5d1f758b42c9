import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { CSRF_TOKEN, PUBLIC_URL, paymentParams, setup, subscriptionParams, emulatorPerTest } from './harness.js';

const BANNER = 'TEST MODE — Groundswell Stripe emulator, no real money';

const env = emulatorPerTest();

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual',
});

describe('hosted test checkout page', () => {
  it('shows the item, the formatted amount, the prefilled email and the buttons, with every donor string escaped', async () => {
    const { stripe, emulator } = env();
    const evil = '<script>alert("x")</script> & "friends"';
    const s = await stripe.checkout.sessions.create(
      paymentParams({
        customer_email: 'a"b@example.org',
        line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 2500, product_data: { name: evil } } }],
      }),
    );
    const res = await emulator.fetch(s.url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/);
    const page = await res.text();
    expect(page).toContain(BANNER);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;friends&quot;');
    expect(page).toContain('€25.00');
    expect(page).toMatch(/<input id="email" name="email" type="email" required[^>]*value="a&quot;b@example.org"/);
    expect(page).toMatch(/<label for="name">/);
    for (const label of ['>Pay<', 'Pay with delayed method (succeeds)', 'Pay with delayed method (fails)', '>Cancel<'])
      expect(page).toContain(label);
  });

  it('offers no delayed method for a monthly gift and shows the interval', async () => {
    const { stripe, emulator } = env();
    const s = await stripe.checkout.sessions.create(subscriptionParams());
    const page = await (await emulator.fetch(s.url!)).text();
    expect(page).toContain('$10.00');
    expect(page).toContain('per month');
    expect(page).not.toContain('delayed method');
  });

  it('Pay completes the session and redirects (303) to success_url with the session id', async () => {
    const { stripe, emulator, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const res = await emulator.fetch(`${s.url}/pay`, form({ email: 'typed@example.org', name: 'Typed Name', outcome: 'paid' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`http://localhost:3999/thanks?session_id=${s.id}`);
    expect(types()).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
    const after = await stripe.checkout.sessions.retrieve(s.id);
    expect(after.customer_details).toMatchObject({ email: 'typed@example.org', name: 'Typed Name' });
    const again = await (await emulator.fetch(`${PUBLIC_URL}/emulator/checkout/${s.id}`)).text();
    expect(again).toContain('already complete');
    expect(again).toContain(BANNER);
    const twice = await emulator.fetch(`${s.url}/pay`, form({ email: 'typed@example.org', outcome: 'paid' }));
    expect(twice.status).toBe(409);
  });

  it('refuses a missing email without completing', async () => {
    const { stripe, emulator, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const res = await emulator.fetch(`${s.url}/pay`, form({ email: '', outcome: 'paid' }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('valid email');
    expect(types()).toEqual([]);
  });

  it('the delayed method completes unpaid and settles later', async () => {
    const { stripe, emulator, types } = env({ asyncSettleDelayMs: 5 });
    const s = await stripe.checkout.sessions.create(paymentParams());
    const res = await emulator.fetch(`${s.url}/pay`, form({ email: 'x@example.org', outcome: 'async_fails' }));
    expect(res.status).toBe(303);
    expect(types()).toEqual(['charge.pending', 'payment_intent.processing', 'checkout.session.completed']);
    await emulator.flush();
    expect(types().at(-1)).toBe('checkout.session.async_payment_failed');
  });

  it('Cancel redirects to cancel_url and sends nothing', async () => {
    const { stripe, emulator, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const res = await emulator.fetch(`${s.url}/cancel`, form({}));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('http://localhost:3999/donate/demo?canceled=1');
    expect(types()).toEqual([]);
  });

  it('an expired session shows a clear message and no pay form', async () => {
    const { stripe, emulator } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    await stripe.checkout.sessions.expire(s.id);
    const page = await (await emulator.fetch(`${PUBLIC_URL}/emulator/checkout/${s.id}`)).text();
    expect(page).toContain('expired');
    expect(page).not.toContain('<form');
    expect((await emulator.fetch(`${PUBLIC_URL}/emulator/checkout/cs_test_unknown`)).status).toBe(404);
  });

  it('refuses a cross-site form post', async () => {
    const { stripe, emulator, types } = env();
    const s = await stripe.checkout.sessions.create(paymentParams());
    const res = await emulator.fetch(`${s.url}/pay`, form({ email: 'x@example.org', outcome: 'paid' }, { Origin: 'https://evil.example' }));
    expect(res.status).toBe(403);
    expect(types()).toEqual([]);
  });
});

describe('dashboard', () => {
  it('lists objects and runs refund, dispute, renew and cancel from its forms', async () => {
    const { stripe, emulator, types, received } = env();
    const one = await stripe.checkout.sessions.create(paymentParams({ customer_email: '<b>x</b>@example.org' }));
    await emulator.completeCheckout(one.id);
    const monthly = await stripe.checkout.sessions.create(subscriptionParams());
    await emulator.completeCheckout(monthly.id);
    const pi = (await stripe.checkout.sessions.retrieve(one.id)).payment_intent as string;
    const sub = (await stripe.checkout.sessions.retrieve(monthly.id)).subscription as string;

    const page = await (await emulator.fetch(`${PUBLIC_URL}/emulator`)).text();
    expect(page).toContain(BANNER);
    expect(page).toContain(pi);
    expect(page).toContain(sub);
    expect(page).toContain('checkout.session.completed');
    expect(page).not.toContain('<b>x</b>');
    expect(page).toContain('m***@example.org'); // a shared screen shows no whole addresses
    expect(page).not.toContain('monthly@example.org');

    const post = (action: string, fields: Record<string, string>) =>
      emulator.fetch(`${PUBLIC_URL}/emulator/actions/${action}`, form({ ...fields, csrf_token: CSRF_TOKEN }));
    expect(page).toContain(`name="csrf_token" value="${CSRF_TOKEN}"`);
    const r1 = await post('refund', { id: pi, amount: '500' });
    expect(r1.status).toBe(303);
    expect(r1.headers.get('Location')).toMatch(/^\/emulator\?notice=/);
    expect(types().slice(-2)).toEqual(['charge.refunded', 'refund.created']);
    expect((received.at(-2)!.event.data.object as Stripe.Charge).amount_refunded).toBe(500);

    expect((await post('refund', { id: pi, amount: '999999' })).status).toBe(400);
    expect((await post('refund', { id: pi, amount: '1.5' })).status).toBe(400);

    expect((await post('dispute', { id: pi, amount: '' })).status).toBe(303);
    const dp = (received.at(-1)!.event.data.object as Stripe.Dispute).id;
    expect((received.at(-1)!.event.data.object as Stripe.Dispute).amount).toBe(2000); // what was left after the refund
    expect((await post('close-dispute', { id: dp, outcome: 'won' })).status).toBe(303);
    expect(types().slice(-2)).toEqual(['charge.dispute.closed', 'charge.dispute.funds_reinstated']);

    expect((await post('renew', { id: sub })).status).toBe(303);
    expect(types().slice(-3)[0]).toBe('invoice.paid');
    expect((await post('cancel-subscription', { id: sub })).status).toBe(303);
    expect(types().at(-1)).toBe('customer.subscription.deleted');

    const notice = await (
      await emulator.fetch(`${PUBLIC_URL}/emulator?notice=${encodeURIComponent('<img src=x onerror=alert(1)>')}`)
    ).text();
    expect(notice).not.toContain('<img');
    expect((await post('nope', {})).status).toBe(404);
  });
});
