import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeForAmount } from '../../common/money.js';
import { createLogger } from '../../server/logger.js';
import { notifyProgress } from '../../server/live/bus.js';
import { createMailWorker } from '../../server/mail/worker.js';
import { ROOT } from './helpers/build.js';
import { hasChromium, launch, screenshotPath, UI_WAIT_MS } from './helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

describe.skipIf(!hasChromium)('giving through the banner and the donate page (Chromium + Stripe emulator)', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(width = 1280): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 } });
    contexts.push(ctx);
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => {
      throw e;
    });
    return page;
  }

  const meterOf = (page: Page) => page.locator('groundswell-banner').first().getByRole('progressbar');
  const totals = async () =>
    (await (await fetch(`${app.base}/api/campaigns/year-end`, { cache: 'no-store' })).json()) as { raised: number; donations: number };

  /** On the emulator's hosted page: Stripe Checkout stands here. */
  async function pay(page: Page, button = 'Pay') {
    await page.waitForURL(/\/emulator\/checkout\//);
    const email = page.getByLabel('Email');
    if (!(await email.inputValue())) await email.fill('donor@example.org');
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.waitForURL(/\/thanks\?session_id=/);
  }

  beforeAll(async () => {
    app = await startApp();
    host = await startHostSite({
      '/article': `<!doctype html><html><head><meta name="viewport" content="width=device-width"><title>Host</title></head>
        <body><h1>An article on someone else's site</h1>
        <script src="${app.base}/embed.js" data-campaign="year-end" async></script></body></html>`,
    });
    // Donors are returned only to the sites the organisation lists for the campaign.
    await app.campaign({
      slug: 'year-end',
      match: { ratio: { ppm: 1_000_000 }, cap: 1_000_000 },
      allowedOrigins: [host.base, 'https://news.example'],
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await app?.close();
  });

  it('a one-time gift with fees covered, from the banner on another site; a second open page updates live', async () => {
    // The watcher: our own demo page, left open.
    const watcher = await newPage();
    await watcher.goto(`${app.base}/`);
    await expect.poll(() => meterOf(watcher).getAttribute('aria-valuetext')).toBe('$0 raised of $50,000 goal, 0%');

    const page = await newPage();
    await page.goto(`${host.base}/article`);
    await page.getByRole('button', { name: 'Donate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: '$50', exact: true }).check();
    // Cover-the-fees is offered as help, never pre-selected, never a promise of the full amount.
    const cover = dialog.getByLabel(/to help cover processing fees/);
    expect(await cover.isChecked()).toBe(false);
    expect(await dialog.textContent()).not.toMatch(/receives the full|full amount/);
    await cover.check();
    const charge = chargeForAmount(5000, 29_000, 30); // 2.9 % + 30 ¢, the server's own function
    expect(charge).toBe(5181);
    await expect.poll(() => dialog.textContent()).toContain('Add $1.81 to help cover processing fees');
    // The donor's choice stays when they change the amount; the added sum follows the amount.
    await dialog.getByRole('radio', { name: '$25', exact: true }).check();
    expect(await cover.isChecked()).toBe(true);
    await expect.poll(() => dialog.textContent()).toContain('Add $1.06 to help cover processing fees');
    await dialog.getByRole('radio', { name: '$50', exact: true }).check();
    expect(await cover.isChecked()).toBe(true);
    await dialog.getByLabel('Your name (optional)').fill('Grace Hopper');
    await dialog.getByLabel('E-mail (optional)').fill('grace@example.org');
    await dialog.getByLabel('Public comment (optional)').fill('Keep digging.');
    await dialog.getByLabel('Dedicate this gift').selectOption('memory');
    await dialog.getByLabel('In memory of').fill('Margaret');
    await dialog.getByRole('button', { name: 'Donate $51.81' }).click();

    // Checkout opens in the top window, on the emulator's hosted page, with the charged amount.
    await page.waitForURL(/\/emulator\/checkout\//);
    expect(await page.textContent('body')).toContain('$51.81');
    await pay(page);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('is confirmed');
    const thanks = await page.textContent('main');
    expect(thanks).toContain('Thank you!');
    expect(thanks).toContain('gift of $51.81 to The Riverside Ledger is confirmed');
    expect(thanks).toContain('including $1.81 to help cover processing fees');
    // The payment came with an e-mail address, so a receipt was queued with it.
    expect(thanks).toContain('A receipt is on its way to the e-mail address you gave at checkout.');
    // and the way back leads to the article on the embedding site, not to our front page, with the
    // one-shot marker that lets its banner thank the donor (SPEC §13)
    expect(await page.getByRole('link', { name: /^Back to / }).getAttribute('href')).toBe(`${host.base}/article#groundswell-gave=year-end`);
    await page.screenshot({ path: screenshotPath('thanks-desktop-1280.png') });

    // The watcher's meter moved without a reload: $51.81 raised + $51.81 matched.
    expect((await totals()).raised).toBe(5181);
    await expect.poll(() => meterOf(watcher).getAttribute('aria-valuetext')).toBe('$103.62 raised of $50,000 goal, 0%');
    // …and its donor wall too.
    await expect.poll(() => watcher.locator('.donors').textContent()).toContain('Grace Hopper');
    expect(await watcher.locator('.donors').textContent()).toContain('In memory of Margaret');
  });

  it('a monthly gift of a custom amount on the full donate page', async () => {
    const page = await newPage(390);
    await page.goto(`${app.base}/donate/year-end`);
    await page.getByRole('radio', { name: 'Monthly' }).check();
    // Not pre-selected on the donate page either; a "no" also survives a change of amount.
    const cover = page.getByLabel(/to help cover processing fees/);
    expect(await cover.isChecked()).toBe(false);
    await page.getByLabel('Other amount (USD)').fill('12.34');
    expect(await cover.isChecked()).toBe(false);
    expect(await page.textContent('main')).toContain('each month to help cover processing fees');
    await page.getByLabel('E-mail (optional)').fill('monthly@example.org');
    await expect.poll(() => page.textContent('main')).toContain('You will be charged $12.34 every month until you cancel');
    await page.screenshot({ path: screenshotPath('donate-mobile-390.png'), fullPage: true });
    await page.getByRole('button', { name: 'Donate $12.34 monthly' }).click();
    await page.waitForURL(/\/emulator\/checkout\//);
    expect(await page.textContent('body')).toMatch(/\$12\.34\s*per month/);
    await pay(page);
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain('monthly gift of $12.34 to The Riverside Ledger is confirmed');
    await expect.poll(() => page.textContent('main')).toContain('renews every month');
    expect(await page.textContent('main')).toContain('each month’s payment brings its own');
  });

  it("says on the donate form that gifts are not tax-deductible when that is the organisation's status", async () => {
    const setStatus = async (status: 'not_deductible' | null) => {
      await app.db
        .insertInto('organisation')
        .values({ id: 1, tax_status: status })
        .onConflict((oc) => oc.column('id').doUpdateSet({ tax_status: status }))
        .execute();
      await notifyProgress(app.db, 0); // what the settings route does: every cached progress JSON goes
    };
    await setStatus('not_deductible');
    try {
      const page = await newPage();
      await page.goto(`${app.base}/donate/year-end`);
      await expect.poll(() => page.locator('[data-tax-notice]').textContent()).toBe('Gifts to Groundswell are not tax-deductible.');
    } finally {
      await setStatus(null);
    }
  });

  it('says "processing" on /thanks while the bank has not confirmed', async () => {
    const page = await newPage();
    await page.goto(`${app.base}/donate/year-end`);
    await page.getByRole('button', { name: 'Donate $25.00' }).click();
    await pay(page, 'Pay with delayed method (succeeds)');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('is processing');
    await expect.poll(() => page.textContent('main')).toContain('bank is still confirming');
  });

  it('shows donor text as text on the donor wall, never as HTML', async () => {
    await app.give('year-end', {
      amount: 777,
      frequency: 'once',
      name: '<img src=x onerror="window.__pwned=1">Mallory',
      comment: '<b>bold</b><script>window.__pwned=2</script>',
      dedication: { kind: 'honor', name: '"><svg onload=window.__pwned=3>' },
    });
    await app.give('year-end', { amount: 1500, frequency: 'once', name: 'Hidden Person', anonymous: true, comment: 'quietly' });
    const page = await newPage();
    await page.goto(`${app.base}/`);
    const wall = page.locator('.donors');
    await expect.poll(() => wall.textContent()).toContain('<img src=x onerror="window.__pwned=1">Mallory');
    const text = await wall.textContent();
    expect(text).toContain('“<b>bold</b><script>window.__pwned=2</script>”');
    expect(text).toContain('In honor of "><svg onload=window.__pwned=3>');
    expect(text).toContain('Anonymous');
    expect(text).not.toContain('Hidden Person');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await wall.locator('img, script, svg, b').count()).toBe(0);
  });

  it('after a canceled checkout, offers the way back to the page the donor came from, and nothing else', async () => {
    const page = await newPage();
    await page.goto(`${app.base}/donate/year-end?canceled=1&return=${encodeURIComponent('https://news.example/2026/12/lead-pipes')}`);
    const notice = page.getByRole('status').filter({ hasText: 'canceled' });
    await expect.poll(() => notice.textContent()).toContain('nothing was charged');
    const back = notice.getByRole('link', { name: 'go back to news.example' });
    expect(await back.getAttribute('href')).toBe('https://news.example/2026/12/lead-pipes');
    for (const other of ['javascript:alert(1)', 'https://evil.example/2026/12/lead-pipes']) {
      await page.goto(`${app.base}/donate/year-end?canceled=1&return=${encodeURIComponent(other)}`);
      await expect.poll(() => notice.textContent()).toContain('nothing was charged');
      expect(await notice.getByRole('link').count()).toBe(0);
    }
  });

  it('signs readers up to the daily digest with double opt-in (once per address, any case)', async () => {
    const page = await newPage();
    await page.goto(`${app.base}/`);
    const form = page.locator('.digest');
    await form.getByLabel('E-mail address').fill('Reader@Example.org');
    await form.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toContain('Please tick the box');
    await form.getByLabel(/I agree to receive the daily digest/).check();
    await form.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toContain('Open the link in it to confirm');
    await form.getByLabel('E-mail address').fill('reader@example.ORG');
    await form.getByLabel(/I agree to receive the daily digest/).check();
    // A known address gets the same answer as a new one (the form does not reveal who reads it).
    const second = page.waitForResponse((r) => r.url().endsWith('/api/digest/subscribe'));
    await form.getByRole('button', { name: 'Sign up' }).click();
    expect((await second).status()).toBe(201);
    await expect.poll(() => form.getByRole('status').textContent()).toContain('Open the link in it to confirm');
    const rows = () => app.db.selectFrom('digest_subscribers').select(['email', 'status']).execute();
    expect(await rows()).toEqual([{ email: 'reader@example.org', status: 'pending' }]);

    // The confirmation mail (built-in outbox: no SMTP_URL), opened as the reader would.
    const worker = createMailWorker({ db: app.db, config: app.app.deps.config, clock: () => new Date(), log: createLogger('silent') });
    // (The receipts of the gifts above are in the outbox too.)
    while ((await worker.runOnce()).sent > 0);
    const mail = await app.db
      .selectFrom('mail_outbox')
      .where('kind', '=', 'digest.confirm')
      .select(['to_address', 'text_body', 'status'])
      .executeTakeFirstOrThrow();
    expect(mail.status).toBe('sent');
    expect(mail.to_address).toBe('reader@example.org');
    const link = /http\S+\/digest\/confirm\?token=\S+/.exec(mail.text_body ?? '')?.[0];
    expect(link).toBeTruthy();
    await page.goto(link!);
    expect(await rows()).toEqual([{ email: 'reader@example.org', status: 'pending' }]); // opening changes nothing
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('You are subscribed');
    expect(await rows()).toEqual([{ email: 'reader@example.org', status: 'confirmed' }]);
    await worker.stop();
  });

  it('screenshots the demo page (desktop 1280, mobile 390) and the dialog', async () => {
    // A campaign of its own, with believable gifts, so the pictures do not depend on test order.
    await app.campaign({ slug: 'readme-demo', title: 'The Riverside Ledger', match: { ratio: { ppm: 1_000_000 }, cap: 1_000_000 } });
    await app.give('readme-demo', {
      amount: 1_500_000,
      frequency: 'once',
      name: 'The Millbrook Family Fund',
      comment: 'Local news is infrastructure.',
    });
    await app.give('readme-demo', {
      amount: 5_000,
      frequency: 'monthly',
      name: 'Dana K.',
      comment: 'For the lead-pipes reporting. Thank you.',
    });
    await app.give('readme-demo', { amount: 2_500, frequency: 'once', anonymous: true, name: 'Someone' });
    await app.give('readme-demo', {
      amount: 10_000,
      frequency: 'once',
      name: 'Luis Ortega',
      dedication: { kind: 'honor', name: 'Ms. Alvarez, 4th grade' },
    });
    const url = `${app.base}/?campaign=readme-demo`;

    const desktop = await newPage(1280);
    await desktop.goto(url);
    await expect.poll(() => meterOf(desktop).getAttribute('aria-valuenow')).toBe('50');
    await desktop.locator('.donors').waitFor();
    // animations: 'disabled' finishes the meter's fill transition for the picture (no fixed wait).
    const banner = screenshotPath('demo-desktop-1280.png');
    await desktop.screenshot({ path: banner, animations: 'disabled' });
    // The README's picture changes only when asked (UPDATE_SCREENSHOTS=1) or when it is missing.
    const readme = path.join(ROOT, 'docs/banner.png');
    if (process.env.UPDATE_SCREENSHOTS || !existsSync(readme)) {
      mkdirSync(path.dirname(readme), { recursive: true });
      copyFileSync(banner, readme);
    }
    await desktop.getByRole('button', { name: 'Donate' }).click();
    await desktop.getByRole('dialog').waitFor();
    await desktop.screenshot({ path: screenshotPath('dialog-desktop-1280.png') });

    const mobile = await newPage(390);
    await mobile.goto(url);
    await expect.poll(() => meterOf(mobile).getAttribute('aria-valuenow')).toBe('50');
    await mobile.screenshot({ path: screenshotPath('demo-mobile-390.png'), animations: 'disabled' });
    await mobile.getByRole('button', { name: 'Donate' }).click();
    await mobile.getByRole('dialog').waitFor();
    await mobile.screenshot({ path: screenshotPath('dialog-mobile-390.png') });
  });
});
