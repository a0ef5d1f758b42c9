import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';

describe.each(testDatabaseKinds())('POST /api/campaigns/:slug/checkout on %s', (kind) => {
  let ctx: TestContext;
  let slug: string;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    slug = (await makeCampaign(ctx.db, { slug: 'year-end', feeRate: { ppm: 29_000 }, feeFixed: 30 })).slug;
  });
  afterAll(async () => ctx?.close());

  const post = (body: unknown, s = slug, headers: Record<string, string> = {}) =>
    ctx.app.request(`/api/campaigns/${s}/checkout`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const giftCount = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('gifts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('creates a one-time Checkout Session through the SDK with the gift tied in metadata', async () => {
    const res = await post({
      amount: 2500,
      frequency: 'once',
      coverFees: true,
      name: 'Ada',
      email: 'ada@example.org',
      comment: 'Keep going',
      dedication: { kind: 'memory', name: 'Grace' },
    });
    expect(res.status).toBe(201);
    const { id, url } = (await res.json()) as { id: string; url: string };
    expect(url).toContain(`/emulator/checkout/${id}`);
    const session = await ctx.stripe.checkout.sessions.retrieve(id);
    expect(session).toMatchObject({
      mode: 'payment',
      submit_type: 'donate',
      amount_total: 2606,
      currency: 'usd',
      customer_email: 'ada@example.org',
    });
    expect(session.success_url).toBe('http://groundswell.test/thanks?session_id={CHECKOUT_SESSION_ID}');
    expect(session.cancel_url).toBe(`http://groundswell.test/donate/${slug}?canceled=1`);
    const gift = await ctx.db.selectFrom('gifts').where('checkout_session_id', '=', id).selectAll().executeTakeFirstOrThrow();
    expect(session.metadata).toEqual({ gift_id: gift.id, campaign: slug });
    expect(gift).toMatchObject({
      amount: 2500,
      fee_amount: 106,
      charge_amount: 2606,
      comment: 'Keep going',
      dedication_kind: 'memory',
      dedication_name: 'Grace',
      status: 'created',
    });

    // paying on the emulator's page lands the money through signed webhooks
    await ctx.emulator.completeCheckout(id);
    ctx.app.progressCache.invalidate(0);
    const p = (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number; donors: number };
    expect(p).toMatchObject({ raised: 2606, donors: 1 });
    const thanks = await ctx.app.request(`/api/campaigns/${slug}/checkout/${id}`);
    expect(await thanks.json()).toMatchObject({ status: 'paid', amount: 2500, chargeAmount: 2606 });
  });

  it('creates a monthly subscription checkout whose first payment counts once', async () => {
    const res = await post({ amount: 1500, frequency: 'monthly', email: 'bo@example.org' });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const session = await ctx.stripe.checkout.sessions.retrieve(id);
    expect(session.mode).toBe('subscription');
    ctx.app.progressCache.invalidate(0);
    const before = (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number; donations: number };
    await ctx.emulator.completeCheckout(id);
    const after1 = (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number; donations: number };
    expect(after1.raised - before.raised).toBe(1500);
    expect(after1.donations - before.donations).toBe(1);
    const sub = (await ctx.stripe.checkout.sessions.retrieve(id)).subscription as string;
    await ctx.emulator.renewSubscription(sub, { paidAt: new Date('2026-12-20T00:00:00Z') });
    const after2 = (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number; donations: number };
    expect(after2.raised - before.raised).toBe(3000);
    expect(after2.donations - before.donations).toBe(2);
  });

  it.each([
    [{ amount: 49, frequency: 'once' }, 'amount_too_small', 'amount'],
    [{ amount: 12.5, frequency: 'once' }, 'invalid_request', 'amount'],
    [{ amount: -500, frequency: 'once' }, 'invalid_request', 'amount'],
    [{ amount: '2500', frequency: 'once' }, 'invalid_request', 'amount'],
    [{ amount: 100_000_000, frequency: 'once' }, 'amount_too_large', 'amount'],
    [{ amount: 99_999_999, frequency: 'once', coverFees: true }, 'amount_too_large', 'amount'],
    [{ amount: 2500, frequency: 'weekly' }, 'invalid_request', 'frequency'],
    [{ amount: 2500, frequency: 'once', email: 'not-an-email' }, 'invalid_request', 'email'],
    [{ amount: 2500, frequency: 'once', name: 'x'.repeat(101) }, 'invalid_request', 'name'],
    [{ amount: 2500, frequency: 'once', comment: 'a\u202Eevil' }, 'invalid_request', 'comment'],
    [{ amount: 2500, frequency: 'once', isAdmin: true }, 'invalid_request', 'isAdmin'],
    [{ amount: 2500, frequency: 'once', dedication: { kind: 'birthday', name: 'X' } }, 'invalid_request', 'dedication.kind'],
  ])('refuses %o with %s and writes nothing', async (body, code, field) => {
    const before = await giftCount();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code, field } });
    expect(await giftCount()).toBe(before);
  });

  it('refuses malformed JSON, huge bodies, unknown and closed campaigns', async () => {
    const before = await giftCount();
    const bad = await post('{"amount": 25');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const huge = await post({ amount: 2500, frequency: 'once', comment: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    const unknown = await post({ amount: 2500, frequency: 'once' }, 'no-such-campaign');
    expect(unknown.status).toBe(404);
    const ended = await makeCampaign(ctx.db, { startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2026-02-01T00:00:00Z') });
    const closed = await post({ amount: 2500, frequency: 'once' }, ended.slug);
    expect(closed.status).toBe(409);
    expect(await closed.json()).toMatchObject({ error: { code: 'campaign_closed' } });
    expect(await giftCount()).toBe(before);
  });

  it('sends a canceled donor back through our donate page, never straight to a URL from a header', async () => {
    const res = await post({ amount: 2500, frequency: 'once' }, slug, { referer: 'https://news.example/2026/12/lead-pipes?utm=x' });
    const { id } = (await res.json()) as { id: string };
    const session = await ctx.stripe.checkout.sessions.retrieve(id);
    // news.example is not among the campaign's allowed origins: no way back to it (return-url.test.ts).
    expect(session.cancel_url).toBe(`http://groundswell.test/donate/${slug}?canceled=1`);
  });

  it('accepts the longest valid e-mail (rate-limit keys stay within the store)', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(50)}.org`;
    expect(email.length).toBeLessThanOrEqual(254);
    const res = await post({ amount: 2500, frequency: 'once', email });
    expect(res.status).toBe(201);
  });

  it('stores SQL and HTML in donor text as plain text', async () => {
    const name = "Robert'); DROP TABLE gifts;-- <img src=x onerror=alert(1)>";
    const res = await post({ amount: 2500, frequency: 'once', name });
    expect(res.status).toBe(201);
    const gift = await ctx.db.selectFrom('gifts').where('name', '=', name).select('name').executeTakeFirst();
    expect(gift?.name).toBe(name);
  });
});

describe.each(testDatabaseKinds())('checkout rate limit on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '3' } });
    await makeCampaign(ctx.db, { slug: 'year-end' });
  });
  afterAll(async () => ctx?.close());

  it('behind a trusted proxy, counts the address the proxy appended, not the one a bot made up', async () => {
    const proxied = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { CHECKOUT_RATE_LIMIT: '2', TRUST_PROXY: 'true' },
    });
    try {
      await makeCampaign(proxied.db, { slug: 'year-end' });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await proxied.app.request('/api/campaigns/year-end/checkout', {
          method: 'POST',
          body: JSON.stringify({ amount: 1000, frequency: 'once' }),
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}, 203.0.113.7` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([201, 201, 429, 429]);
    } finally {
      await proxied.close();
    }
  });

  it('answers 429 with Retry-After past CHECKOUT_RATE_LIMIT per client, and creates no session', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await ctx.app.request('/api/campaigns/year-end/checkout', {
        method: 'POST',
        body: JSON.stringify({ amount: 1000, frequency: 'once' }),
        headers: { 'content-type': 'application/json' },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const sessions = ctx.emulator.events().length; // no events for open sessions; count gifts instead
    expect(sessions).toBeGreaterThanOrEqual(0);
    const gifts = await ctx.db
      .selectFrom('gifts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(gifts.n)).toBe(3);
  });
});
