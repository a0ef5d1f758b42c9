import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../server/giving/breaker.js';
import { recordOfflineGift } from '../../server/ledger/service.js';
import { invitePledgers } from '../../server/giving/pledges.js';
import { createLogger } from '../../server/logger.js';
import { createMailWorker } from '../../server/mail/worker.js';
import { hasChromium, launch, screenshotPath, UI_WAIT_MS } from './helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

const DAY = 86_400_000;

/**
 * SPEC §13 in Chromium, with the banner on a page of another origin and the Stripe emulator
 * standing in for Stripe: payments down → pledges, a reader back from /thanks, stretch goals
 * live, and a campaign after its end.
 */
describe.skipIf(!hasChromium)('when payments are down, after the goal, after the end (Chromium)', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => {
      throw e;
    });
    return page;
  }
  const banner = (page: Page, slug: string) => page.locator(`groundswell-banner[data-campaign="${slug}"]`);
  const totals = async (slug: string) =>
    (await (await fetch(`${app.base}/api/campaigns/${slug}`, { cache: 'no-store' })).json()) as { raised: number; payments: string };
  async function pay(page: Page) {
    await page.waitForURL(/\/emulator\/checkout\//);
    const email = page.getByLabel('Email');
    if (!(await email.inputValue())) await email.fill('donor@example.org');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/\/thanks\?session_id=/);
  }

  beforeAll(async () => {
    // A low per-campaign velocity limit, and no CAPTCHA configured.
    app = await startApp({ env: { CAMPAIGN_CHECKOUT_LIMIT: '5' } });
    const tag = (slug: string, extra = '') => `<script src="${app.base}/embed.js" data-campaign="${slug}" ${extra} async></script>`;
    const article = (body: string) => `<!doctype html><html><head><title>Host</title></head><body><h1>Article</h1>${body}</body></html>`;
    host = await startHostSite({
      '/down': article(tag('year-end')),
      '/gave': article(tag('thanks-drive')),
      '/gave-consent': article(tag('thanks-drive', 'data-consent="required"')),
      '/stretch': article(tag('stretch')),
      '/burst': article(tag('burst')),
      '/ended': article(`${tag('old-drive')}${tag('ending-soon', 'data-placement="bottom"')}`),
    });
    const now = Date.now();
    await app.campaign({ slug: 'year-end', allowedOrigins: [host.base] });
    await app.campaign({ slug: 'thanks-drive', allowedOrigins: [host.base] });
    await app.campaign({ slug: 'stretch', goals: [10_000, 20_000, 40_000] });
    await app.campaign({ slug: 'burst' });
    await app.campaign({ slug: 'spring-drive', title: 'Spring Drive' });
    await app.campaign({ slug: 'old-drive', startsAt: new Date(now - 40 * DAY), endsAt: new Date(now - DAY), followOn: 'spring-drive' });
    const old = await app.db.selectFrom('campaigns').where('slug', '=', 'old-drive').select('id').executeTakeFirstOrThrow();
    // A cheque received while it ran: $7,000 raised.
    await recordOfflineGift(
      { db: app.db, bus: app.app.deps.bus },
      { giftId: randomUUID(), campaignId: old.id, currency: 'USD', amount: 700_000, receivedAt: new Date(now - 10 * DAY), name: 'Cheque' },
    );
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await app?.close();
  });

  it('with Stripe failing, the banner collects a pledge that does not count; later it becomes a gift through its e-mail', async () => {
    await app.db
      .insertInto('payments_breaker')
      .values({ id: 1, other_ways: 'Bank transfer: IBAN DE00 1234 5678\nCheques to: 1 River St' })
      .onConflict((oc) => oc.column('id').doUpdateSet({ other_ways: (eb) => eb.ref('excluded.other_ways') }))
      .execute();
    app.app.progressCache.invalidate(0);
    app.emulator.setOutage('server_errors');
    const page = await newPage();
    await page.goto(`${host.base}/down`);
    await page.getByRole('button', { name: 'Donate' }).click();
    const dialog = page.getByRole('dialog');
    // The banner still believed payments were up: the checkout fails, the breaker opens, the form turns into a pledge form.
    await dialog.getByRole('button', { name: /^Donate \$25/ }).click();
    await expect.poll(() => dialog.textContent()).toContain('Online payments are unavailable right now');
    expect(await dialog.textContent()).toContain('Bank transfer: IBAN DE00 1234 5678');
    expect((await totals('year-end')).payments).toBe('down');
    await dialog.getByRole('radio', { name: '$50', exact: true }).check();
    await dialog.getByLabel('E-mail', { exact: true }).fill('pat@example.org');
    // Consent states its purpose and the deletion date, and is required.
    await dialog.getByRole('button', { name: 'Pledge my gift' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('we need your permission');
    const consent = dialog.getByLabel(/We will e-mail you once, when you can complete this gift/);
    expect(await consent.isChecked()).toBe(false);
    await consent.check();
    await dialog.getByRole('button', { name: 'Pledge my gift' }).click();
    await expect.poll(() => dialog.textContent()).toContain('Your pledge is saved');
    await page.screenshot({ path: screenshotPath('pledge-saved.png') });
    // Never counted as raised.
    expect((await totals('year-end')).raised).toBe(0);
    const pledges = await app.db.selectFrom('pledges').selectAll().execute();
    expect(pledges).toHaveLength(1);
    expect(pledges[0]).toMatchObject({ amount: 5000, email: 'pat@example.org', status: 'open' });

    // Stripe answers again: the probe closes the breaker; the open banner follows live.
    app.emulator.setOutage('none');
    await runProbe(app.app.deps, { force: true });
    expect((await totals('year-end')).payments).toBe('up');
    // The owner sends the pledgers their one e-mail (outbox; SMTP_URL unset).
    expect(await invitePledgers(app.app.deps)).toEqual({ queued: 1 });
    await createMailWorker({ db: app.db, config: app.app.deps.config, clock: () => new Date(), log: createLogger('silent') }).runOnce();
    const mail = await app.db.selectFrom('mail_outbox').where('kind', '=', 'pledge.invite').selectAll().executeTakeFirstOrThrow();
    expect((mail.headers as Record<string, string>)['List-Unsubscribe']).toContain('/pledge/withdraw?token=');
    const link = /https?:\/\/\S+\/pledge\/complete\?token=[A-Za-z0-9_-]{43}/.exec(mail.text_body!)![0];

    const reader = await newPage();
    await reader.goto(link);
    await reader.getByRole('button', { name: 'Continue to payment' }).click();
    await pay(reader);
    await expect.poll(() => reader.getByRole('status').textContent()).toContain('is confirmed');
    expect((await totals('year-end')).raised).toBe(5000);
  });

  it('a reader returning from /thanks is thanked, not asked again; the marker is one-shot and consent is respected', async () => {
    const page = await newPage();
    await page.goto(`${host.base}/gave`);
    await expect.poll(() => banner(page, 'thanks-drive').locator('section').getAttribute('data-state')).toBe('appeal');
    await page.getByRole('button', { name: 'Donate' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Donate \$25/ })
      .click();
    await pay(page);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('is confirmed');
    await page.getByRole('link', { name: /^Back to / }).click();
    await page.waitForURL(`${host.base}/gave`);
    const section = banner(page, 'thanks-drive').locator('section');
    await expect.poll(() => section.getAttribute('data-state')).toBe('thanks');
    expect(await section.textContent()).toContain('Thank you for your gift!');
    expect(await banner(page, 'thanks-drive').getByRole('button', { name: 'Donate' }).count()).toBe(0);
    // The marker is gone from the address; the memory of the gift is in the host page's storage.
    expect(page.url()).toBe(`${host.base}/gave`);
    expect(await page.evaluate(() => localStorage.getItem('groundswell:gave:thanks-drive'))).toMatch(/^\d+$/);
    await page.reload();
    await expect.poll(() => banner(page, 'thanks-drive').locator('section').getAttribute('data-state')).toBe('thanks');

    // A host that requires consent: thanked on this page view, nothing stored until consent.
    const other = await newPage();
    await other.goto(`${host.base}/gave-consent#groundswell-gave=thanks-drive`);
    await expect.poll(() => banner(other, 'thanks-drive').locator('section').getAttribute('data-state')).toBe('thanks');
    expect(other.url()).toBe(`${host.base}/gave-consent`);
    expect(await other.evaluate(() => localStorage.getItem('groundswell:gave:thanks-drive'))).toBeNull();
    await other.evaluate(() => (window as unknown as { Groundswell: { consent(b: boolean): void } }).Groundswell.consent(true));
    expect(await other.evaluate(() => localStorage.getItem('groundswell:gave:thanks-drive'))).toMatch(/^\d+$/);
  });

  it('the meter moves to a stretch goal live', async () => {
    const page = await newPage();
    await page.goto(`${host.base}/stretch`);
    const meter = banner(page, 'stretch').getByRole('progressbar');
    await expect.poll(() => meter.getAttribute('aria-valuenow')).toBe('0');
    await app.give('stretch', { amount: 12_000, frequency: 'once' });
    await expect.poll(() => meter.getAttribute('aria-valuenow')).toBe('60');
    expect(await meter.getAttribute('aria-valuetext')).toBe('$120 raised of $200 goal, 60%; $100 goal reached');
    await expect.poll(() => banner(page, 'stretch').locator('.msg').textContent()).toBe('We reached $100! Help us reach $200');
    // The fill is on the new scale (transform scaleX(0.6)).
    const fill = await banner(page, 'stretch').evaluate((el) => (el.shadowRoot!.querySelector('.fill') as HTMLElement).style.transform);
    expect(fill).toBe('scaleX(0.6)');
  });

  it('an ended campaign has no dead button: the result, thanks, and the follow-on; a campaign that ends while open loses its button', async () => {
    const now = Date.now();
    await app.campaign({ slug: 'ending-soon', startsAt: new Date(now - DAY), endsAt: new Date(now + 8_000) });
    const page = await newPage();
    await page.goto(`${host.base}/ended`);
    const old = banner(page, 'old-drive');
    await expect.poll(() => old.locator('section').getAttribute('data-state')).toBe('ended');
    const text = await old.locator('section').textContent();
    expect(text).toContain('Together we raised $7,000 of our $50,000 goal. Thank you!');
    expect(text).toContain('Campaign ended');
    expect(await old.getByRole('button', { name: 'Donate' }).count()).toBe(0);
    const follow = old.getByRole('link', { name: 'Give to Spring Drive' });
    expect(await follow.getAttribute('href')).toBe(`${app.base}/donate/spring-drive`);

    // The other banner was open when the page loaded and ends while the reader watches.
    const soon = banner(page, 'ending-soon');
    await expect.poll(() => soon.getByRole('button', { name: 'Donate' }).count()).toBe(1);
    await expect.poll(() => soon.locator('section').getAttribute('data-state'), { timeout: 60_000 }).toBe('ended');
    expect(await soon.getByRole('button', { name: 'Donate' }).count()).toBe(0);

    await follow.click();
    await page.waitForURL(`${app.base}/donate/spring-drive`);
    await expect.poll(() => page.getByRole('button', { name: /^Donate/ }).count()).toBeGreaterThan(0);

    // The ended campaign's own donate page: the result, the follow-on, no form.
    const donate = await newPage();
    await donate.goto(`${app.base}/donate/old-drive`);
    await expect.poll(() => donate.textContent('main')).toContain('This campaign has ended');
    expect(await donate.getByRole('button', { name: /^Donate/ }).count()).toBe(0);
    expect(await donate.getByRole('link', { name: 'Give to Spring Drive' }).getAttribute('href')).toBe('/donate/spring-drive');
  });

  it('a burst of checkouts trips the per-campaign limit without blocking donors when no CAPTCHA is configured', async () => {
    // A bot's burst, from many addresses (each under the per-client limit).
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${app.base}/api/campaigns/burst/checkout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 500, frequency: 'once' }),
        }).then((r) => r.status),
      ),
    );
    expect(burst.every((s) => s === 201)).toBe(true);
    const alerts = await app.db.selectFrom('admin_alerts').selectAll().execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain('Possible card testing');
    // A reader right after: no CAPTCHA, no refusal; the banner takes them to Checkout.
    const page = await newPage();
    await page.goto(`${host.base}/burst`);
    await page.getByRole('button', { name: 'Donate' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /^Donate \$25/ })
      .click();
    await pay(page);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('is confirmed');
  });
});
