import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunnelBeacon, Progress, PublicVariant } from '../../common/api.js';
import { hasChromium, launch, UI_WAIT_MS } from './helpers/browser.js';
import { DIST } from './helpers/build.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

/**
 * Issue 14, the widget side (SPEC §13): languages, variants, frequency caps, consent and funnel
 * beacons, checked from outside in Chromium on a page of another origin. A route stub adds
 * `copy`, `variants` and `frequency` to the real progress answer and records the beacons, so each
 * case controls exactly what the widget is given (tests/browser/campaign-craft.test.ts checks the
 * same against the real server end to end).
 */
const builtEmbed = () => readFileSync(path.join(DIST, 'embed.js'), 'utf8');
const VARIANTS: PublicVariant[] = [
  { id: 'ctl', weight: 1, control: true, headline: null, message: null, button: null, locale: null },
  { id: 'bold', weight: 1, control: false, headline: 'Every reader counts', message: null, button: 'Give now', locale: null },
  { id: 'fr-only', weight: 50, control: false, headline: 'Réservé aux lecteurs français', message: null, button: null, locale: 'fr' },
];

describe.skipIf(!hasChromium)('banner reach: languages, variants, frequency, consent, beacons (Chromium)', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  type Extra = Partial<Pick<Progress, 'copy' | 'variants' | 'frequency'>>;
  /** A fresh reader (own storage); the progress gets `extra`; beacons land in `beacons`. */
  async function reader(extra: Extra = {}, opts: { locale?: string } = {}) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: opts.locale ?? 'en-US' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const beacons: { type: string | null; body: FunnelBeacon }[] = [];
    const checkouts: Record<string, unknown>[] = [];
    // embed.js as built, without the progress the server folds into it: these readers' progress
    // carries stubbed fields, so the banner must ask the API for it.
    await ctx.route(/\/embed\.js(\?.*)?$/, (route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: builtEmbed() }),
    );
    await ctx.route(/\/api\/campaigns\/[a-z0-9-]+(\?.*)?$/, async (route) => {
      try {
        const res = await route.fetch();
        await route.fulfill({ response: res, json: { ...(await res.json()), ...extra } });
      } catch {
        // the reader's context was closed meanwhile
      }
    });
    // No live feed here: it would carry the server's progress without the stubbed fields.
    await ctx.route(/\/api\/campaigns\/[a-z0-9-]+\/stream/, (route) => route.abort());
    await ctx.route(/\/api\/campaigns\/[a-z0-9-]+\/events$/, async (route) => {
      const req = route.request();
      beacons.push({ type: req.headers()['content-type'] ?? null, body: JSON.parse(req.postData() ?? '{}') as FunnelBeacon });
      await route.fulfill({ status: 204 }).catch(() => {});
    });
    await ctx.route(/\/api\/campaigns\/[a-z0-9-]+\/checkout$/, async (route) => {
      checkouts.push(route.request().postDataJSON() as Record<string, unknown>);
      await route.fulfill({ status: 201, json: { id: 'cs_test_stub', url: `${host.base}/done` } }).catch(() => {});
    });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    return { ctx, page, beacons, checkouts, errors };
  }

  const shadowText = (page: Page) =>
    page.evaluate(() => [...document.querySelectorAll('groundswell-banner')].map((h) => h.shadowRoot?.textContent ?? '').join('\n'));
  const banners = (page: Page) => page.evaluate(() => document.querySelectorAll('groundswell-banner').length);
  const ours = (page: Page) =>
    page.evaluate(() => ({
      local: Object.keys(localStorage)
        .filter((k) => k.startsWith('groundswell:'))
        .sort(),
      session: sessionStorage.length,
      cookie: document.cookie,
    }));
  /** embed.js has run: every mount decision is taken synchronously when it runs. */
  const booted = (page: Page) => page.waitForFunction(() => !!window.Groundswell);
  const count = (beacons: { body: FunnelBeacon }[], type: string, variant?: string | null) =>
    beacons
      .flatMap((b) => b.body.events)
      .filter((e) => e.type === type && (variant === undefined || e.variant === variant))
      .reduce((s, e) => s + e.count, 0);

  beforeAll(async () => {
    app = await startApp();
    await app.campaign({ slug: 'reach', headline: 'Keep the Ledger independent', message: 'Give today.' });
    for (const email of ['a@example.org', 'b@example.org', 'c@example.org'])
      await app.give('reach', { amount: 2_500, frequency: 'once', email });
    const tag = (attrs: string) => `<script src="${app.base}/embed.js" data-campaign="reach" ${attrs} async></script>`;
    const page = (attrs: string, body = '') =>
      `<!doctype html><html lang="en"><head><title>Host</title></head><body><h1>Host article</h1>${body}${tag(attrs)}</body></html>`;
    host = await startHostSite({
      '/': page(''),
      '/ar': page('data-locale="ar"'),
      '/es': page('data-locale="es"'),
      '/inline': page('', '<div id="box" data-groundswell-campaign="reach"></div>'),
      '/consent': page('data-consent="required"'),
      '/done': '<!doctype html><title>Checkout stub</title><p>checkout</p>',
    });
    browser = await launch();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await host?.close();
    await app?.close();
  });

  it('speaks Arabic right to left with data-locale="ar": catalog words, plural forms, copy per language, a mirrored layout', async () => {
    const { page, errors } = await reader({ copy: { ar: { headline: 'حافظوا على استقلال الصحيفة', message: 'تبرعوا اليوم.' } } });
    const catalogs: string[] = [];
    page.on('request', (r) => r.url().includes('/embed-') && r.url().includes('.json') && catalogs.push(new URL(r.url()).pathname));
    await page.goto(`${host.base}/ar`);
    const donate = page.getByRole('button', { name: 'تبرّع' });
    await donate.waitFor();
    expect(catalogs).toEqual(['/embed-ar.json']);
    const root = await page.evaluate(() => {
      const r = document.querySelector('groundswell-banner')!.shadowRoot!;
      const gs = r.querySelector('.gs-root')!;
      const section = r.querySelector('section')!.getBoundingClientRect();
      const x = r.querySelector('.x')!.getBoundingClientRect();
      return {
        dir: gs.getAttribute('dir'),
        lang: gs.getAttribute('lang'),
        direction: getComputedStyle(r.querySelector('.gs')!).direction,
        origin: getComputedStyle(r.querySelector('.fill')!).transformOrigin,
        trackWidth: r.querySelector('.track')!.getBoundingClientRect().width,
        closeOnLeft: x.left < section.left + section.width / 2,
        headline: r.querySelector('h2')!.textContent,
      };
    });
    expect(root).toMatchObject({ dir: 'rtl', lang: 'ar', direction: 'rtl', closeOnLeft: true, headline: 'حافظوا على استقلال الصحيفة' });
    // The meter fills from the right.
    expect(Number.parseFloat(root.origin)).toBeCloseTo(root.trackWidth, 0);
    const three = new Intl.NumberFormat('ar').format(3);
    const text = await shadowText(page);
    expect(text).toContain(`${three} متبرعين`); // Arabic "few" form for 3 donors
    expect(text).toContain('تبرعوا اليوم.');
    expect(await page.getByRole('button', { name: 'إغلاق شريط التبرعات' }).count()).toBe(1);
    expect(await page.getByRole('progressbar', { name: 'تقدم حملة التبرعات' }).count()).toBe(1);
    // The dialog speaks Arabic too: its words came with the same catalog.
    await donate.click();
    const dialog = page.getByRole('dialog', { name: 'ادعم The Riverside Ledger' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('مبلغ آخر (USD)').count()).toBe(1);
    expect(await dialog.getByRole('button', { name: 'إغلاق' }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('speaks Spanish when data-locale="es" asks, and when the browser prefers Spanish', async () => {
    const asked = await reader();
    await asked.page.goto(`${host.base}/es`);
    await asked.page.getByRole('button', { name: 'Donar' }).waitFor();
    const text = await shadowText(asked.page);
    expect(text).toContain('3 donantes');
    expect(text).toMatch(/Quedan 3\d días/);
    expect(
      await asked.page.evaluate(() =>
        document.querySelector('groundswell-banner')!.shadowRoot!.querySelector('.gs-root')!.getAttribute('dir'),
      ),
    ).toBe('ltr');

    const browserEs = await reader({}, { locale: 'es-MX' });
    await browserEs.page.goto(`${host.base}/`);
    await browserEs.page.getByRole('button', { name: 'Donar' }).waitFor();
    expect(
      await browserEs.page.evaluate(() =>
        document.querySelector('groundswell-banner')!.shadowRoot!.querySelector('.gs-root')!.getAttribute('lang'),
      ),
    ).toBe('es-MX');

    // English needs no catalog request at all.
    const en = await reader();
    const json: string[] = [];
    en.page.on('request', (r) => r.url().endsWith('.json') && json.push(r.url()));
    await en.page.goto(`${host.base}/`);
    await en.page.getByRole('button', { name: 'Donate' }).waitFor();
    expect(json).toEqual([]);
  });

  it('splits readers between variants by weight, keeps each on theirs across reloads, and sends it with the checkout', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 16; i++) {
      const { page } = await reader({ variants: VARIANTS });
      await page.goto(`${host.base}/`);
      await page.locator('groundswell-banner').first().waitFor();
      await expect
        .poll(() =>
          page.evaluate(
            () => document.querySelector('groundswell-banner')?.shadowRoot?.querySelector('section')?.getAttribute('data-variant') ?? null,
          ),
        )
        .not.toBeNull();
      const v = await page.evaluate(
        () => document.querySelector('groundswell-banner')!.shadowRoot!.querySelector('section')!.getAttribute('data-variant')!,
      );
      seen[v] = (seen[v] ?? 0) + 1;
      await page.context().close();
    }
    // Both variants for everyone showed up; the French-only one, though heaviest, never to English readers.
    expect(Object.keys(seen).sort()).toEqual(['bold', 'ctl']);

    const { page, checkouts } = await reader({ variants: VARIANTS });
    await page.goto(`${host.base}/`);
    const variantOf = () =>
      page.evaluate(
        () => document.querySelector('groundswell-banner')?.shadowRoot?.querySelector('section')?.getAttribute('data-variant') ?? null,
      );
    await expect.poll(variantOf).not.toBeNull();
    const first = await variantOf();
    expect(await page.evaluate(() => localStorage.getItem('groundswell:variant:reach'))).toBe(first);
    for (let i = 0; i < 3; i++) {
      await page.reload();
      await expect.poll(variantOf).toBe(first);
    }
    if (first === 'bold') expect(await shadowText(page)).toContain('Every reader counts');
    await page.getByRole('button', { name: first === 'bold' ? 'Give now' : 'Donate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: /^Donate/ }).click();
    await page.waitForURL(`${host.base}/done`);
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0]).toMatchObject({ variant: first });
  });

  it('counts impressions and opens per variant in batched text/plain beacons, and stores nothing for them', async () => {
    const { page, beacons } = await reader({ variants: [VARIANTS[1]!] });
    await page.goto(`${host.base}/`);
    const donate = page.getByRole('button', { name: 'Give now' });
    await donate.click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await donate.click(); // a second open in the same page view is the same open
    // The batch leaves a few seconds after the first count, or when the page is hidden.
    await expect.poll(() => count(beacons, 'impression'), { timeout: UI_WAIT_MS }).toBe(1);
    await expect.poll(() => count(beacons, 'open'), { timeout: UI_WAIT_MS }).toBe(1);
    expect(count(beacons, 'impression', 'bold')).toBe(1);
    expect(beacons.every((b) => b.type?.startsWith('text/plain'))).toBe(true);
    expect(beacons.length).toBeLessThanOrEqual(2);
    expect((await ours(page)).local).toEqual(['groundswell:variant:reach']);
    // A new page view is a new impression.
    await page.reload();
    await page.getByRole('button', { name: 'Give now' }).waitFor();
    await expect.poll(() => count(beacons, 'impression'), { timeout: UI_WAIT_MS }).toBe(2);
    expect(count(beacons, 'open')).toBe(1);
  });

  it('holds the frequency cap: N views of the placed banner per period, then none; an inline mount still shows', async () => {
    const { page, errors } = await reader({ frequency: { impressions: 2, days: 7 } });
    for (let i = 0; i < 2; i++) {
      await page.goto(`${host.base}/`);
      await page.getByRole('button', { name: 'Donate' }).waitFor();
      await expect
        .poll(async () => JSON.parse((await page.evaluate(() => localStorage.getItem('groundswell:seen:reach'))) ?? '[]').length)
        .toBe(3 + i);
    }
    await page.goto(`${host.base}/`);
    await booted(page);
    expect(await banners(page)).toBe(0);
    await page.reload();
    await booted(page);
    expect(await banners(page)).toBe(0);
    // Inline mounts are the host's own content: never capped.
    await page.goto(`${host.base}/inline`);
    await page.locator('#box groundswell-banner').waitFor();
    expect(await page.evaluate(() => document.querySelector('#box groundswell-banner')!.shadowRoot!.textContent)).toContain(
      'Keep the Ledger',
    );
    expect(await banners(page)).toBe(1);
    // A week later the reader may see it again.
    await page.evaluate(() => {
      const r = JSON.parse(localStorage.getItem('groundswell:seen:reach')!) as number[];
      localStorage.setItem('groundswell:seen:reach', JSON.stringify([r[0], r[1], ...r.slice(2).map((t) => t - 8 * 86_400_000)]));
    });
    await page.goto(`${host.base}/`);
    await page.getByRole('button', { name: 'Donate' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('with data-consent="required" stores nothing and shows uncapped until Groundswell.consent(true), then stores what it learnt', async () => {
    const { page, errors } = await reader({ variants: VARIANTS, frequency: { impressions: 1, days: 7 } });
    for (let i = 0; i < 3; i++) {
      await page.goto(`${host.base}/consent`);
      await page.locator('groundswell-banner').waitFor();
      await expect.poll(() => shadowText(page)).toContain('3 donors');
      expect(await ours(page)).toEqual({ local: [], session: 0, cookie: '' });
    }
    // Dismissing without consent hides it for this page view, and still stores nothing.
    await page.getByRole('button', { name: 'Close the fundraising banner' }).click();
    await expect.poll(() => banners(page)).toBe(0);
    expect(await ours(page)).toEqual({ local: [], session: 0, cookie: '' });

    await page.goto(`${host.base}/consent`);
    await page.getByRole('button', { name: /Donate|Give now/ }).waitFor();
    await page.evaluate(() => window.Groundswell!.consent(true));
    expect((await ours(page)).local).toEqual(['groundswell:seen:reach', 'groundswell:variant:reach']);
    await page.getByRole('button', { name: 'Close the fundraising banner' }).click();
    await expect.poll(async () => (await ours(page)).local).toContain('groundswell:dismissed:reach');
    // Consent withdrawn: what we stored goes.
    await page.evaluate(() => window.Groundswell!.consent(false));
    expect((await ours(page)).local).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('the donate and thanks pages follow ?locale= or the browser, with <html lang dir>', async () => {
    const ar = await reader();
    await ar.page.goto(`${app.base}/donate/reach?locale=ar`);
    await ar.page.getByRole('heading', { name: 'قدّم تبرعك' }).waitFor();
    expect(await ar.page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
    expect(await ar.page.title()).toBe('تبرّع لـ The Riverside Ledger');

    const es = await reader({}, { locale: 'es-ES' });
    await es.page.goto(`${app.base}/donate/reach`);
    await es.page.getByRole('heading', { name: 'Haz tu donativo' }).waitFor();
    expect(await es.page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['es-ES', 'ltr']);
    expect(await es.page.getByLabel('Otro importe (USD)').count()).toBe(1);
    await es.page.goto(`${app.base}/thanks?session_id=cs_nope`);
    await es.page.getByRole('heading', { name: 'No encontramos este donativo' }).waitFor();
  });
});
