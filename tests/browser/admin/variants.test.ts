import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/admin/passwords.js';
import { hasChromium, launch, screenshotPath, UI_WAIT_MS } from '../helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from '../helpers/server.js';

const EMAIL = 'ops@example.org';
const PASSWORD = 'correct horse battery';

if (!hasChromium) console.warn('!! tests/browser/admin/variants SKIPPED: /usr/bin/chromium is missing.');

/**
 * Copy variants from the admin, and funnel beacons sent by Chromium from pages of other origins:
 * the campaign's embedding site is counted, a stranger's page is refused, and the dashboard's
 * funnel shows exactly what was sent.
 */
describe.skipIf(!hasChromium)('variants and the funnel in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let admin: Page;
  let host: { base: string; close(): Promise<void> };
  let forger: { base: string; close(): Promise<void> };
  const errors: string[] = [];
  const blank = '<!doctype html><html><body><h1>An article</h1></body></html>';

  beforeAll(async () => {
    app = await startApp();
    host = await startHostSite({ '/': blank });
    forger = await startHostSite({ '/': blank });
    await app.campaign({ slug: 'tested', allowedOrigins: [host.base] });
    await app.db
      .insertInto('admins')
      .values({ email: EMAIL, password_hash: await hashPassword(PASSWORD) })
      .execute();
    browser = await launch();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'en-US', timezoneId: 'UTC' });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    admin = await ctx.newPage();
    admin.on('pageerror', (e) => errors.push(String(e)));
    admin.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await forger?.close();
    await app?.close();
  });

  /** From a page of `origin`: a beacon as the widget sends it; the status the page could read (0: blocked). */
  async function beaconFrom(origin: string, events: unknown[]): Promise<{ sent: boolean; status: number }> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, body }) => {
          const sent = navigator.sendBeacon(url, body);
          try {
            const res = await fetch(url, {
              method: 'POST',
              body,
              keepalive: true,
              headers: { 'content-type': 'text/plain;charset=UTF-8' },
            });
            return { sent, status: res.status };
          } catch {
            return { sent, status: 0 };
          }
        },
        { url: `${app.base}/api/campaigns/tested/events`, body: JSON.stringify({ events }) },
      );
    } finally {
      await page.close();
    }
  }

  it('an editor adds two variants, one of them the control', async () => {
    await admin.goto(`${app.base}/admin`);
    await admin.getByLabel('E-mail').fill(EMAIL);
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await admin.goto(`${app.base}/admin/campaigns/tested`);
    await admin.getByRole('heading', { name: 'Variants' }).waitFor();
    for (const v of [
      { name: 'Control', headline: '', control: true },
      { name: 'Urgent', headline: 'Three days left', control: false },
    ]) {
      await admin.getByRole('button', { name: 'Add a variant' }).click();
      await admin.getByLabel('Name (only the admin sees it)').fill(v.name);
      await admin.getByLabel('Headline').fill(v.headline);
      if (v.control) await admin.getByLabel(/The control/).check();
      await admin.getByRole('button', { name: 'Add variant' }).click();
      await admin.getByRole('rowheader', { name: new RegExp(v.name) }).waitFor();
    }
    const progress = (await (await fetch(`${app.base}/api/campaigns/tested`)).json()) as { variants: { id: string; control: boolean }[] };
    expect(progress.variants.map((v) => v.control)).toEqual([true, false]);
  });

  it('counts beacons from the embedding site, refuses a stranger, and the funnel shows what was sent', async () => {
    const { variants } = (await (await fetch(`${app.base}/api/campaigns/tested`)).json()) as { variants: { id: string }[] };
    const [control, urgent] = variants.map((v) => v.id);
    const events = [
      { type: 'impression', variant: control, count: 3 },
      { type: 'impression', variant: urgent, count: 2 },
      { type: 'open', variant: urgent, count: 1 },
    ];
    // Both sendBeacon and fetch go out: each batch counts twice. The page can read our 204 (CORS).
    expect(await beaconFrom(host.base, events)).toEqual({ sent: true, status: 204 });
    // A stranger's page: refused, and its script cannot even read the answer.
    expect((await beaconFrom(forger.base, events)).status).toBe(0);
    const wanted = '10 impressions → 2 opens → 0 checkouts → 0 paid';
    await expect
      .poll(async () => {
        await admin.reload();
        return admin.getByTestId('funnel-totals').textContent();
      })
      .toBe(wanted);
    const urgentRow = admin.locator(`tr[data-variant="${urgent}"]`);
    await expect.poll(() => urgentRow.locator('td').first().textContent()).toBe('4');
    await expect.poll(() => admin.getByRole('img', { name: /Funnel per day, 1 days/ }).isVisible()).toBe(true);
    await admin.getByLabel('Filter by variant').selectOption({ label: 'Urgent' });
    await expect.poll(() => admin.getByTestId('funnel-totals').textContent()).toBe('4 impressions → 2 opens → 0 checkouts → 0 paid');
    await admin.getByLabel('Filter by variant').selectOption({ label: 'All' });
    await admin.screenshot({ path: screenshotPath('admin-variants.png'), fullPage: true });
  });

  it('keeps the winner: the other variant stops and readers get only the winner', async () => {
    const urgentRow = admin.locator('tr', { has: admin.getByRole('rowheader', { name: /Urgent/ }) });
    await urgentRow.getByRole('button', { name: 'Keep winner' }).click();
    await expect.poll(() => admin.getByRole('rowheader', { name: /Control/ }).textContent()).toContain('stopped');
    const progress = (await (await fetch(`${app.base}/api/campaigns/tested`)).json()) as { variants: { control: boolean }[] };
    expect(progress.variants).toHaveLength(1);
    expect(progress.variants[0]?.control).toBe(true);
    expect(errors).toEqual([]);
  });
});
