import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDashboard } from '../../server/admin/dashboard.js';
import { getCampaign } from '../../server/campaigns/service.js';
import { UI_WAIT_MS, hasChromium, launch } from './helpers/browser.js';
import { type RunningApp, startApp } from './helpers/server.js';

/**
 * A monthly donor manages their gift in a browser from the link on /thanks (the same link is in
 * every receipt): change the amount, update the card on the hosted setup page, cancel in two
 * steps; then the totals and the dashboard as the webhooks left them.
 */
describe.skipIf(!hasChromium)('a monthly donor manages their gift (Chromium + Stripe emulator)', () => {
  let app: RunningApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let manageUrl: string;

  const gift = () =>
    app.db
      .selectFrom('gifts')
      .select(['subscription_status', 'subscription_amount', 'cancel_feedback', 'subscription_id'])
      .where('email', '=', 'monthly@example.org')
      .executeTakeFirstOrThrow();
  const dashboard = async () => campaignDashboard(app.db, await getCampaign(app.db, 'year-end'), new Date());
  /** Webhooks land a moment after the page answers: wait for the ledger, with a generous ceiling. */
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    const end = Date.now() + UI_WAIT_MS;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > end) return v;
      // Waits for the emulator's deliveries in flight (no fixed sleep).
      await app.emulator.flush();
      await new Promise((r) => setImmediate(r));
    }
  }

  beforeAll(async () => {
    app = await startApp();
    await app.campaign({ slug: 'year-end' });
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    context.setDefaultTimeout(UI_WAIT_MS);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
  });

  it('/thanks of a monthly gift links to its manage page', async () => {
    const sessionId = await app.give('year-end', { amount: 1000, frequency: 'monthly', email: 'monthly@example.org', name: 'Mo' });
    await page.goto(`${app.base}/thanks?session_id=${sessionId}`);
    const link = page.getByRole('link', { name: 'Manage your monthly gift' });
    await link.waitFor();
    manageUrl = (await link.getAttribute('href'))!;
    await link.click();
    await page.getByRole('heading', { name: 'Your monthly gift' }).waitFor();
    expect(await page.locator('#amount').textContent()).toBe('$10.00 a month');
    expect(await page.locator('#next-payment').textContent()).toMatch(/^\$10\.00 on /);
    expect(await dashboard()).toMatchObject({ raised: 1000, monthlyDonors: 1, monthlyAmount: 1000 });
  });

  it('a tampered link is refused; opening an action URL changes nothing', async () => {
    const tampered = manageUrl.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    const other = await context.newPage();
    const res = await other.goto(tampered);
    expect(res!.status()).toBe(400);
    await other.getByRole('heading', { name: 'This link is not valid' }).waitFor();
    const token = new URL(manageUrl).searchParams.get('token')!;
    const get = await other.goto(`${app.base}/manage/amount?token=${encodeURIComponent(token)}&amount=99`);
    expect(get!.status()).toBe(404);
    await other.goto(`${app.base}/manage/cancel?token=${encodeURIComponent(token)}`);
    await other.getByRole('button', { name: 'Yes, cancel my monthly gift' }).waitFor();
    await other.close();
    expect(await gift()).toMatchObject({ subscription_status: 'active' });
  });

  it('changes the amount from the next payment on', async () => {
    await page.getByLabel(/Change the amount/).fill('25');
    await page.getByRole('button', { name: 'Save the new amount' }).click();
    await page.getByText('Your new amount is saved').waitFor();
    expect(await page.locator('#amount').textContent()).toBe('$25.00 a month');
    const g = await until(gift, (x) => x.subscription_amount === 2500);
    expect(g.subscription_amount).toBe(2500);
    expect(await dashboard()).toMatchObject({ raised: 1000, monthlyAmount: 2500 });
  });

  it('updates the card on the hosted setup page', async () => {
    const before = await page.locator('#card').textContent();
    await page.getByRole('button', { name: 'Update my card' }).click();
    await page.waitForURL(/\/emulator\/checkout\//);
    await page.getByRole('heading', { name: 'Save a card' }).waitFor();
    await page.getByLabel('Email').fill('monthly@example.org');
    await page.getByRole('button', { name: 'Save card', exact: true }).click();
    await page.getByText('Your new card is saved').waitFor();
    const after = await page.locator('#card').textContent();
    expect(after).toMatch(/^VISA ending in \d{4}/);
    expect(after).not.toBe(before);
  });

  it('cancels in two steps; the ledger and the dashboard follow the webhooks', async () => {
    await page.getByRole('link', { name: 'Cancel my monthly gift…' }).click();
    await page.getByRole('heading', { name: 'Cancel your monthly gift?' }).waitFor();
    await page.getByLabel('Would you tell us why? (optional)').selectOption('too_expensive');
    await page.getByRole('button', { name: 'Yes, cancel my monthly gift' }).click();
    await page.getByRole('heading', { name: 'Your monthly gift is canceled' }).waitFor();
    const g = await until(gift, (x) => x.subscription_status === 'canceled');
    expect(g).toMatchObject({ subscription_status: 'canceled', cancel_feedback: 'too_expensive' });
    expect(await dashboard()).toMatchObject({ raised: 1000, monthlyDonors: 0, monthlyAmount: 0 });
    const totals = (await (await fetch(`${app.base}/api/campaigns/year-end`)).json()) as { raised: number; donations: number };
    expect(totals).toMatchObject({ raised: 1000, donations: 1 });
    await page.getByRole('link', { name: 'See my gift' }).click();
    expect(await page.locator('#status').textContent()).toMatch(/^Canceled/);
    expect(await page.getByRole('button', { name: 'Save the new amount' }).count()).toBe(0);
    const mails = await app.db.selectFrom('mail_outbox').select('kind').where('to_address', '=', 'monthly@example.org').execute();
    expect(mails.map((m) => m.kind)).toContain('subscription.canceled');
  });
});
