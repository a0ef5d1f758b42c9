import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { linkSigner } from '../../../server/manage/links.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, donate, signIn } from '../admin/helpers.js';

/**
 * A monthly donor's self-service through the front door: the app's pages, the real SDK against
 * the emulator, and the webhooks coming back to the ledger.
 */
describe.each(testDatabaseKinds())('monthly donors manage their gift on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  let slug: string;
  let giftId: string;
  let subscriptionId: string;
  let manage: URL;

  const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
    method: 'POST',
    body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  const token = () => manage.searchParams.get('token')!;
  const gift = () => ctx.db.selectFrom('gifts').selectAll().where('id', '=', giftId).executeTakeFirstOrThrow();
  const mails = (kind: string) =>
    ctx.db.selectFrom('mail_outbox').selectAll().where('kind', '=', kind).orderBy('id').execute() as Promise<
      { to_address: string; fact_key: string; data: unknown }[]
    >;
  const dashboard = () => admin.json<{ raised: number; monthlyDonors: number; monthlyAmount: number }>(`/campaigns/${slug}`);
  const subscription = () => ctx.stripe.subscriptions.retrieve(subscriptionId);

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-02T10:00:00Z'), env: { ORG_NAME: 'The Riverside Ledger' } });
    slug = (await makeCampaign(ctx.db, { title: 'Keep the river clean' })).slug;
    admin = await signIn(ctx);
    const d = await donate(ctx, slug, { amount: 1000, frequency: 'monthly', email: 'Mo@Example.org', name: 'Mo Reader' });
    const status = (await (await ctx.app.request(`/api/checkout-sessions/${d.sessionId}`)).json()) as { status: string; manageUrl: string };
    expect(status.status).toBe('paid');
    manage = new URL(status.manageUrl);
    const g = await ctx.db
      .selectFrom('gifts')
      .select(['id', 'subscription_id'])
      .where('checkout_session_id', '=', d.sessionId)
      .executeTakeFirstOrThrow();
    giftId = g.id;
    subscriptionId = g.subscription_id!;
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('/thanks gives a paid monthly gift its manage link; a one-time gift gets none', async () => {
    expect(manage.origin).toBe('http://groundswell.test');
    expect(manage.pathname).toBe('/manage');
    const once = await donate(ctx, slug, { amount: 700, email: 'once@example.org' });
    const status = (await (await ctx.app.request(`/api/checkout-sessions/${once.sessionId}`)).json()) as { manageUrl: unknown };
    expect(status.manageUrl).toBeNull();
  });

  it('the page shows the amount, the next payment and the card, with forms that POST', async () => {
    const res = await ctx.app.request(manage.pathname + manage.search);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('Keep the river clean');
    expect(html).toContain('$10.00 a month');
    expect(html).toContain('on January 2, 2027'); // the next period starts a month after the first payment
    expect(html).toMatch(/VISA ending in \d{4}/);
    expect(html).toContain(`<form method="post" action="/manage/amount"`);
    expect(html).toContain(`<form method="post" action="/manage/card"`);
    expect(html).toContain('TEST MODE');
  });

  it('a tampered, expired or wrong-purpose link is refused with a page that offers a new link, and changes nothing', async () => {
    const t = token();
    const last = t.at(-1) === 'A' ? 'B' : 'A';
    const tampered = `${t.slice(0, -1)}${last}`;
    const otherGift = t.replace(giftId, '00000000-0000-4000-8000-000000000000');
    for (const bad of [tampered, otherGift, 'manage.x', '']) {
      const res = await ctx.app.request(`/manage?token=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This link is not valid');
    }
    const signer = await linkSigner(ctx.db, ctx.config);
    const expired = signer.sign('manage', giftId, new Date(ctx.clock().getTime() - 63 * 86_400_000));
    const res = await ctx.app.request(`/manage?token=${encodeURIComponent(expired)}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('This link has expired');
    expect(html).toContain('action="/manage/link"');
    const post = await ctx.app.request('/manage/amount', form({ token: expired, amount: '99' }));
    expect(post.status).toBe(400);
    expect((await subscription()).items.data[0]!.price.unit_amount).toBe(1000);
  });

  it('a GET on an action URL changes nothing, and a cross-site POST is refused', async () => {
    const q = `?token=${encodeURIComponent(token())}&amount=99&feedback=other`;
    for (const path of ['/manage/amount', '/manage/card', '/manage/link']) {
      expect((await ctx.app.request(path + q)).status).toBe(404);
    }
    // The cancel link opens the confirmation page, which only offers a button.
    const confirm = await ctx.app.request(`/manage/cancel${q}`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('<form method="post" action="/manage/cancel">');
    const forged = await ctx.app.request(
      '/manage/cancel',
      form({ token: token() }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
    );
    expect(forged.status).toBe(403);
    await ctx.emulator.flush();
    const sub = await subscription();
    expect(sub.status).toBe('active');
    expect(sub.items.data[0]!.price.unit_amount).toBe(1000);
    expect((await gift()).subscription_status).toBe('active');
  });

  it('change amount: a new price on the same item, no proration; the webhook brings it to the ledger and the dashboard', async () => {
    const before = await subscription();
    const bad = await ctx.app.request('/manage/amount', form({ token: token(), amount: '0.10' }));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('The minimum gift is');
    const res = await ctx.app.request('/manage/amount', form({ token: token(), amount: '25' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('done=amount');
    await ctx.emulator.flush();
    const after = await subscription();
    expect(after.items.data[0]!.id).toBe(before.items.data[0]!.id);
    expect(after.items.data[0]!.price.product).toBe(before.items.data[0]!.price.product);
    expect(after.items.data[0]!.price.unit_amount).toBe(2500);
    // No invoice for the difference: the money moves only at the next renewal.
    expect((await ctx.stripe.invoices.list({ subscription: subscriptionId })).data).toHaveLength(1);
    expect((await gift()).subscription_amount).toBe(2500);
    expect(await dashboard()).toMatchObject({ raised: 1700, monthlyDonors: 1, monthlyAmount: 2500 });

    await ctx.emulator.renewSubscription(subscriptionId);
    await ctx.emulator.flush();
    expect(await dashboard()).toMatchObject({ raised: 4200 });
  });

  it('update card: a setup Checkout for the donor, whose card becomes the subscription’s default', async () => {
    const oldCard = (await subscription()).default_payment_method;
    const res = await ctx.app.request('/manage/card', form({ token: token() }));
    expect(res.status).toBe(303);
    const checkout = new URL(res.headers.get('location')!);
    const sessionId = checkout.pathname.split('/').at(-1)!;
    const session = await ctx.stripe.checkout.sessions.retrieve(sessionId);
    expect(session).toMatchObject({ mode: 'setup', customer: (await gift()).customer_id, metadata: { gift_id: giftId } });
    await ctx.emulator.completeCheckout(sessionId, 'paid', { email: 'mo@example.org' });
    await ctx.emulator.flush();
    const sub = await subscription();
    const setupIntent = await ctx.stripe.setupIntents.retrieve(
      (await ctx.stripe.checkout.sessions.retrieve(sessionId)).setup_intent as string,
    );
    expect(sub.default_payment_method).toBe(setupIntent.payment_method);
    expect(sub.default_payment_method).not.toBe(oldCard);
    const event = await ctx.db
      .selectFrom('stripe_events')
      .select(['outcome', 'detail'])
      .where('type', '=', 'checkout.session.completed')
      .orderBy('received_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ outcome: 'processed', detail: 'card of a monthly gift updated' });
    // The return page (the donor's own flow, after a POST) lands back on the manage page.
    const done = await ctx.app.request(`/manage/card/done?token=${encodeURIComponent(token())}&session_id=${sessionId}`);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toContain('done=card');
    // A stranger's session id with this token is refused.
    const other = await ctx.app.request(`/manage/card/done?token=${encodeURIComponent(token())}&session_id=cs_test_nope`);
    expect(other.status).toBeGreaterThanOrEqual(400);
  });

  it('before a renewal (invoice.upcoming), a card that will have expired gets the update-card mail once', async () => {
    await ctx.emulator.upcomingRenewal(subscriptionId);
    await ctx.emulator.flush();
    expect(await mails('card.expiring')).toHaveLength(0); // the card is valid for years
    const pm = (await subscription()).default_payment_method as string;
    await ctx.stripe.paymentMethods.update(pm, { card: { exp_month: 12, exp_year: 2026 } });
    await ctx.emulator.upcomingRenewal(subscriptionId);
    await ctx.emulator.flush();
    const upcoming = ctx.emulator.events().filter((e) => e.type === 'invoice.upcoming');
    expect((await ctx.deliver({ ...upcoming.at(-1)! })).status).toBe(200);
    const sent = await mails('card.expiring');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.fact_key).toBe(`card.expiring:${pm}:2026-12:${giftId}`);
    expect(sent[0]!.data).toMatchObject({ expMonth: 12, expYear: 2026, amount: 2500, campaign: 'Keep the river clean' });
  });

  it('a failed renewal mails the update-card link once, however often the event comes', async () => {
    const invoiceId = await ctx.emulator.failRenewal(subscriptionId);
    await ctx.emulator.flush();
    const failedEvent = ctx.emulator.events().find((e) => e.type === 'invoice.payment_failed')!;
    expect((await ctx.deliver({ ...failedEvent })).status).toBe(200);
    const sent = await mails('payment.failed');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to_address).toBe('mo@example.org');
    expect(sent[0]!.fact_key).toBe(`payment.failed:${invoiceId}`);
    const url = new URL((sent[0]!.data as { manageUrl: string }).manageUrl);
    expect((await ctx.app.request(url.pathname + url.search)).status).toBe(200);
    expect((await gift()).subscription_status).toBe('past_due');
  });

  it('an expiring card (customer.source.expiring) mails the update-card link once', async () => {
    await ctx.emulator.cardExpiring((await gift()).customer_id!);
    await ctx.emulator.flush();
    const ev = ctx.emulator.events().find((e) => e.type === 'customer.source.expiring')!;
    await ctx.deliver({ ...ev });
    const sent = (await mails('card.expiring')).filter((m) => m.fact_key.startsWith('card.expiring:card_'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toMatchObject({ last4: '4242', campaign: 'Keep the river clean' });
  });

  it('cancel in two steps: stops the subscription, voids its open invoice, mails a confirmation once, leaves the dashboard', async () => {
    const res = await ctx.app.request('/manage/cancel', form({ token: token(), feedback: 'too_expensive', comment: '  Moving abroad  ' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Your monthly gift is canceled');
    await ctx.emulator.flush();
    const sub = await subscription();
    expect(sub.status).toBe('canceled');
    expect(sub.cancellation_details).toMatchObject({ feedback: 'too_expensive', comment: 'Moving abroad' });
    expect((await ctx.stripe.invoices.list({ subscription: subscriptionId, status: 'open' })).data).toHaveLength(0);
    expect((await ctx.stripe.invoices.list({ subscription: subscriptionId, status: 'void' })).data).toHaveLength(1);
    expect(await gift()).toMatchObject({
      subscription_status: 'canceled',
      cancel_feedback: 'too_expensive',
      cancel_comment: 'Moving abroad',
    });
    // Pressing again (a second tab) changes nothing and sends nothing more.
    expect((await ctx.app.request('/manage/cancel', form({ token: token() }))).status).toBe(200);
    const deleted = ctx.emulator.events().find((e) => e.type === 'customer.subscription.deleted')!;
    await ctx.deliver({ ...deleted });
    await ctx.emulator.flush();
    expect(await mails('subscription.canceled')).toHaveLength(1);
    expect(await dashboard()).toMatchObject({ raised: 4200, monthlyDonors: 0, monthlyAmount: 0 });
    const page = await (await ctx.app.request(manage.pathname + manage.search)).text();
    expect(page).toContain('Canceled');
    expect(page).not.toContain('action="/manage/amount"');
  });

  it('"send me my link" answers the same for a known and an unknown address, mails only the known one, and is limited', async () => {
    // A fresh monthly gift (the first one is canceled and has nothing left to manage).
    await donate(ctx, slug, { amount: 1500, frequency: 'monthly', email: 'second@example.org' });
    const ask = (email: string) => ctx.app.request('/manage/link', form({ email }));
    const known = await ask('Second@Example.org');
    const unknown = await ask('nobody@example.org');
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(await known.text()).toBe(await unknown.text());
    const sent = await mails('manage.link');
    expect(sent.map((m) => m.to_address)).toEqual(['second@example.org']);
    const link = new URL((sent[0]!.data as { links: { url: string }[] }).links[0]!.url);
    const page = await ctx.app.request(link.pathname + link.search);
    expect(await page.text()).toContain('$15.00 a month');
    // Three per address per hour, known or not.
    await ask('nobody@example.org');
    await ask('nobody@example.org');
    const limited = await ask('nobody@example.org');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect((await ask('bad-address')).status).toBe(400);
  });

  it('the worker renders and delivers every one of these mails (the outbox, without SMTP_URL), links included', async () => {
    const worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
    try {
      while ((await worker.runOnce()).sent > 0);
    } finally {
      await worker.stop();
    }
    const rows = await ctx.db
      .selectFrom('mail_outbox')
      .select(['kind', 'status', 'text_body'])
      .where('kind', 'in', ['payment.failed', 'card.expiring', 'subscription.canceled', 'manage.link'])
      .execute();
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['payment.failed', 'card.expiring', 'subscription.canceled', 'manage.link']));
    for (const r of rows) {
      expect(r.status).toBe('sent');
      if (r.kind !== 'subscription.canceled') expect(r.text_body).toContain('http://groundswell.test/manage?token=manage.');
    }
  });
});
