import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/admin/passwords.js';
import { recordOfflineGift } from '../../../server/ledger/service.js';
import { hasChromium, launch, screenshotPath, UI_WAIT_MS } from '../helpers/browser.js';
import { ROOT } from '../helpers/build.js';
import { type RunningApp, startApp } from '../helpers/server.js';

const EMAIL = 'ops@example.org';
const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;

if (!hasChromium)
  console.warn('!! tests/browser/admin SKIPPED: /usr/bin/chromium is missing; the admin console was NOT exercised in a browser.');

const localInput = (d: Date) => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

describe.skipIf(!hasChromium)('admin console in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    await app.db
      .insertInto('admins')
      .values({ email: EMAIL, password_hash: await hashPassword(PASSWORD) })
      .execute();
    browser = await launch();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const stat = (id: string) => page.getByTestId(`stat-${id}`);

  it('refuses a wrong password, then signs in', async () => {
    await page.goto(`${app.base}/admin`);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('do not match');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await expect.poll(() => page.getByText('No campaigns yet').isVisible()).toBe(true);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'gs_admin')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('creates a campaign, showing a server error next to its field', async () => {
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Title (for you and the donate page)').fill('Winter appeal');
    await page.getByLabel('Address').fill('winter-appeal');
    await page.getByLabel('Headline (banner)').fill('Keep independent media alive');
    await page.getByLabel('Message').fill('Online donations are back!');
    await page.getByLabel('Goal').fill('2,500');
    const start = new Date(Date.now() - 9 * DAY);
    await page.getByLabel('Starts').fill(localInput(start));
    // ends before it starts: the API names the field, the form shows it there
    await page.getByLabel('Ends').fill(localInput(new Date(start.getTime() - DAY)));
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const endsError = page.locator('#f-endsAt-error');
    await endsError.waitFor();
    await expect.poll(() => endsError.textContent()).toMatch(/after startsAt/);
    await expect.poll(() => page.getByLabel('Ends').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Ends').fill(localInput(new Date(Date.now() + 20 * DAY)));
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { name: 'Winter appeal' }).waitFor();
    expect(page.url()).toBe(`${app.base}/admin/campaigns/winter-appeal`);
    await expect.poll(() => stat('raised').textContent()).toBe('$0.00');
    await expect.poll(() => stat('goal').textContent()).toBe('$2,500.00');
  });

  it('records an offline gift and the totals change', async () => {
    await page.getByLabel('Amount (USD)').fill('250');
    await page.getByLabel('Name (optional)').fill('Parish council');
    await page.getByLabel('Note (optional)').fill('Cheque #1042');
    await page.getByRole('button', { name: 'Record gift' }).click();
    await page.getByText('Recorded: the totals include it now.').waitFor();
    await expect.poll(() => stat('raised').textContent()).toBe('$250.00');
    await expect.poll(() => stat('donors').textContent()).toBe('1');
    await expect.poll(() => stat('donations').textContent()).toBe('1');
    // ...and the public progress agrees
    const pub = (await (await fetch(`${app.base}/api/campaigns/winter-appeal`)).json()) as { raised: number };
    expect(pub.raised).toBe(25_000);
  });

  it('updates live when money arrives elsewhere, and draws the daily chart', async () => {
    await page.locator('.live.on').waitFor();
    await app.give('winter-appeal', { amount: 5_000, frequency: 'once', name: 'Ada', email: 'ada@example.org' });
    await expect.poll(() => stat('raised').textContent()).toBe('$300.00');
    // A fuller history for the dashboard picture: gifts on earlier days, a monthly donor, a refund.
    const c = await app.db.selectFrom('campaigns').where('slug', '=', 'winter-appeal').select(['id']).executeTakeFirstOrThrow();
    const amounts = [4_000, 12_500, 7_500, 20_000, 9_000, 15_000, 30_000, 11_000];
    for (const [i, amount] of amounts.entries()) {
      await recordOfflineGift(
        { db: app.db },
        {
          giftId: randomUUID(),
          campaignId: c.id,
          currency: 'USD',
          amount,
          receivedAt: new Date(Date.now() - (8 - i) * DAY),
          name: `Donor ${i}`,
        },
      );
    }
    await app.give('winter-appeal', { amount: 2_500, frequency: 'monthly', name: 'Mo', email: 'mo@example.org' });
    await app.give('winter-appeal', { amount: 10_000, frequency: 'once', name: 'Bo', email: 'bo@example.org' });
    const bo = await app.db.selectFrom('gifts').where('name', '=', 'Bo').select('payment_intent_id').executeTakeFirstOrThrow();
    await app.emulator.refund(bo.payment_intent_id!, 4_000);
    await app.emulator.flush();
    const total = 25_000 + 5_000 + amounts.reduce((a, b) => a + b, 0) + 2_500 + 10_000 - 4_000;
    await expect.poll(() => stat('raised').textContent()).toBe(`$${(total / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
    await expect.poll(() => stat('refunded').textContent()).toBe('$40.00');
    await expect.poll(() => stat('monthly-donors').textContent()).toBe('1');
    await expect.poll(() => stat('monthly-amount').textContent()).toBe('$25.00');
    await expect.poll(() => page.locator('.recharts-bar-rectangle').count()).toBeGreaterThanOrEqual(9);

    const shot = screenshotPath('admin-dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The README's picture is refreshed on demand only, so a test run never dirties the tree.
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
      copyFileSync(shot, path.join(ROOT, 'docs/admin-dashboard.png'));
    }
  });

  it('lists, searches and filters donations, and shows one with its refund', async () => {
    await page.getByRole('link', { name: 'Donations', exact: true }).click();
    await page.getByRole('heading', { name: 'Donations' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(12);
    await page.getByLabel('Search by name or e-mail').fill('ada@');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Search by name or e-mail').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByLabel('Status').selectOption('partially_refunded');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(page.url()).toContain('status=partially_refunded');
    const csv = page.getByRole('link', { name: 'Export CSV' });
    await expect.poll(() => csv.getAttribute('href')).toBe('/api/admin/campaigns/winter-appeal/donations.csv?status=partially_refunded');
    await page.locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: /from Bo/ }).waitFor();
    await expect.poll(() => page.getByText('Refunded $40.00').isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath('admin-donation.png'), fullPage: true });
  });

  it('corrects and voids an offline gift, and the audit log tells who did it', async () => {
    await page.goto(`${app.base}/admin/campaigns/winter-appeal/donations?source=offline&q=Parish`);
    await page.locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: /Parish council/ }).waitFor();
    await page.getByLabel('Amount (USD)').fill('275');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.getByText('Saved.').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Void gift' }).click();
    await page.getByRole('button', { name: 'Restore' }).waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.nth(0).textContent()).toContain('voided offline gift');
    expect(await rows.nth(1).textContent()).toMatch(/corrected offline gift.*amount: 25000 → 27500/);
    expect(await rows.nth(3).textContent()).toContain(`${EMAIL}created campaign`);
  });

  it("takes and shows campaign dates in the organisation's time zone, not the browser's", async () => {
    // An admin whose browser is in Tokyo, for an organisation in New York.
    const tokyo = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'Asia/Tokyo' });
    await tokyo.addCookies(await page.context().cookies());
    tokyo.setDefaultTimeout(10_000);
    const p = await tokyo.newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`${app.base}/admin/settings`);
    await p.getByRole('heading', { name: 'Organisation settings' }).waitFor();
    await p.getByLabel('Time zone').fill('America/New_York');
    await p.getByRole('button', { name: 'Save settings' }).click();
    await p.getByText('Saved.').waitFor();
    // Owners find the whole data export here (the download itself: tests/integration/admin/export.test.ts).
    expect(await p.getByRole('link', { name: 'Download all data' }).getAttribute('href')).toBe('/api/admin/export');

    await p.getByRole('link', { name: 'Campaigns' }).click();
    await p.getByRole('link', { name: 'New campaign' }).click();
    expect(await p.locator('#f-endsAt-hint').textContent()).toContain('America/New_York');
    await p.getByLabel('Title (for you and the donate page)').fill('New Year appeal');
    await p.getByLabel('Address').fill('new-year');
    await p.getByLabel('Headline (banner)').fill('Before midnight');
    await p.getByLabel('Goal').fill('1,000');
    await p.getByLabel('Starts').fill('2026-11-01T00:00');
    await p.getByLabel('Ends').fill('2027-01-01T00:00'); // midnight on Dec 31, New York time
    await p.getByRole('button', { name: 'Create campaign' }).click();
    await p.getByRole('heading', { name: 'New Year appeal' }).waitFor();
    const pub = (await (await fetch(`${app.base}/api/campaigns/new-year`)).json()) as { startsAt: string; endsAt: string };
    expect(pub).toMatchObject({ startsAt: '2026-11-01T04:00:00.000Z', endsAt: '2027-01-01T05:00:00.000Z' });

    // The edit form shows the same wall-clock times back, in New York time.
    await p.goto(`${app.base}/admin/campaigns/new-year/edit`);
    await expect.poll(() => p.getByLabel('Ends').inputValue()).toBe('2027-01-01T00:00');
    expect(await p.getByLabel('Starts').inputValue()).toBe('2026-11-01T00:00');
    await tokyo.close();
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const res = await page.evaluate(async () => (await fetch('/api/admin/campaigns')).status);
    expect(res).toBe(401);
    expect(errors).toEqual([]);
  });
});
