import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/admin/passwords.js';
import { setupWebhookEndpoint } from '../../../server/stripe-ops/setup.js';
import { hasChromium, launch, UI_WAIT_MS } from '../helpers/browser.js';
import { type RunningApp, startApp } from '../helpers/server.js';

const EMAIL = 'ops@example.org';
const PASSWORD = 'correct horse battery';

describe.skipIf(!hasChromium)('webhook health in the admin console', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startApp();
    await app.db
      .insertInto('admins')
      .values({ email: EMAIL, password_hash: await hashPassword(PASSWORD) })
      .execute();
    const c = await app.campaign({ slug: 'spring' });
    const res = await fetch(`${app.base}/api/campaigns/${c.slug}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, frequency: 'once', email: 'donor@example.org' }),
    });
    // A donor started Checkout; no event from Stripe has arrived (none was sent yet).
    expect(res.status).toBe(201);
    await setupWebhookEndpoint(app.app.deps.stripe, app.base);
    browser = await launch();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    page = await ctx.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('warns on the campaigns page that no event arrived while a checkout was started, and shows the health page', async () => {
    await page.goto(`${app.base}/admin`);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('No Stripe event has ever arrived, but 1 checkout');

    await page.getByRole('link', { name: 'Webhook health' }).click();
    await page.getByRole('heading', { name: 'Webhook health' }).waitFor();
    await expect.poll(() => page.getByText(Stripe.API_VERSION).first().isVisible()).toBe(true);
    await expect.poll(() => page.getByText('the version this server is built for').isVisible()).toBe(true);
    await expect.poll(() => page.getByText('none yet').isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('heading', { name: 'Events that could not be applied (0)' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText('No reconciliation has run yet').isVisible()).toBe(true);
  });
});
