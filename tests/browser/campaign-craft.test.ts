import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/admin/passwords.js';
import { hasChromium, launch, UI_WAIT_MS } from './helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

/**
 * Issue 14 end to end (SPEC §13): variants, funnel beacons, checkout attribution, languages,
 * frequency capping and consent, against the real server (no stubs of our own API), set up
 * through the real admin API and watched from a host page of another origin in Chromium.
 */
interface VariantRow {
  id: string;
  name: string;
  impressions: number;
  opens: number;
  checkouts: number;
  paid: number;
}
interface Funnel {
  origins: string[];
  days: { impressions: number; opens: number; checkouts: number; paid: number }[];
}

const CONTROL_HEADLINE = 'Keep the Ledger independent';
const HEADLINES: Record<string, string> = { Control: CONTROL_HEADLINE, Bold: 'Every reader counts', Warm: 'Local news needs you' };

describe.skipIf(!hasChromium)('campaign craft end to end: variants, beacons, attribution, languages, caps (Chromium)', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let stranger: { base: string; close(): Promise<void> };
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let cookie = '';
  let csrf = '';
  /** Variant public id → name. */
  const names: Record<string, string> = {};

  async function admin<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${app.base}/api/admin${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrf,
        origin: app.base,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }

  async function reader(): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    return { ctx, page, errors };
  }

  const variantOf = (page: Page) =>
    page.evaluate(() => {
      const s = document.querySelector('groundswell-banner')?.shadowRoot?.querySelector('section');
      return s ? { id: s.getAttribute('data-variant'), headline: s.querySelector('h2')?.textContent ?? null } : null;
    });
  const shown = async (page: Page) => {
    await expect.poll(async () => (await variantOf(page))?.headline ?? null).not.toBeNull();
    return (await variantOf(page))!;
  };
  const banners = (page: Page) => page.evaluate(() => document.querySelectorAll('groundswell-banner').length);
  const ourKeys = (page: Page) =>
    page.evaluate(() =>
      Object.keys(localStorage)
        .filter((k) => k.startsWith('groundswell'))
        .sort(),
    );
  const variants = async () => (await admin<{ variants: VariantRow[] }>('GET', '/campaigns/craft/variants')).json.variants;
  const funnelTotals = async () => {
    const { json } = await admin<Funnel>('GET', '/campaigns/craft/funnel');
    return json.days.reduce(
      (a, d) => ({
        impressions: a.impressions + d.impressions,
        opens: a.opens + d.opens,
        checkouts: a.checkouts + d.checkouts,
        paid: a.paid + d.paid,
      }),
      { impressions: 0, opens: 0, checkouts: 0, paid: 0 },
    );
  };

  /** Banner views that happened on the host page (each one an impression the server must count). */
  let views = 0;
  const perVariant: Record<string, number> = {};

  beforeAll(async () => {
    app = await startApp();
    const pages: Record<string, string> = {};
    host = await startHostSite(pages);
    stranger = await startHostSite({ '/': '<!doctype html><title>Stranger</title><p>not an allowed origin</p>' });
    const tag = (slug: string, attrs = '') => `<script src="${app.base}/embed.js" data-campaign="${slug}" ${attrs} async></script>`;
    const page = (script: string) =>
      `<!doctype html><html lang="en"><head><title>Host</title></head><body><h1>Host article</h1>${script}</body></html>`;
    Object.assign(pages, {
      '/': page(tag('craft')),
      '/es': page(tag('lingo', 'data-locale="es"')),
      '/ar': page(tag('lingo', 'data-locale="ar"')),
      '/capped': page(tag('capped')),
      '/capped-consent': page(tag('capped', 'data-consent="required"')),
    });
    for (const slug of ['craft', 'lingo', 'capped'])
      await app.campaign({ slug, headline: CONTROL_HEADLINE, message: 'Give today.', allowedOrigins: [host.base] });

    // An owner signs in through the real admin API.
    await app.db
      .insertInto('admins')
      .values({ email: 'owner@example.org', password_hash: await hashPassword('correct horse battery'), role: 'owner' })
      .execute();
    const login = await fetch(`${app.base}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.base },
      body: JSON.stringify({ email: 'owner@example.org', password: 'correct horse battery' }),
    });
    expect(login.status).toBe(200);
    cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .filter((c) => !c.endsWith('='))
      .join('; ');
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;

    for (const [name, body] of [
      ['Control', { control: true }],
      ['Bold', { headline: HEADLINES.Bold }],
      ['Warm', { headline: HEADLINES.Warm }],
    ] as const) {
      const res = await admin<{ variants: VariantRow[] }>('POST', '/campaigns/craft/variants', { name, ...body });
      expect(res.status).toBe(201);
      names[res.json.variants.find((v) => v.name === name)!.id] = name;
    }
    browser = await launch();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stranger?.close();
    await host?.close();
    await app?.close();
  });

  it('splits fresh readers between the variants and keeps each on theirs across reloads', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 14; i++) {
      const { page, errors } = await reader();
      await page.goto(`${host.base}/`);
      const first = await shown(page);
      views++;
      expect(Object.keys(names)).toContain(first.id);
      expect(first.headline).toBe(HEADLINES[names[first.id!]!]);
      perVariant[first.id!] = (perVariant[first.id!] ?? 0) + 1;
      seen.add(first.id!);
      await page.reload();
      expect(await shown(page)).toEqual(first);
      views++;
      perVariant[first.id!]!++;
      // Leaving the page sends the batch (pagehide); the context stays open until the end.
      await page.goto('about:blank');
      expect(errors).toEqual([]);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('counts every banner view and dialog open in the funnel; refuses a beacon from an origin not allowed', async () => {
    const { page, errors } = await reader();
    await page.goto(`${host.base}/`);
    const v = await shown(page);
    views++;
    perVariant[v.id!] = (perVariant[v.id!] ?? 0) + 1;
    const dialogFor = page.getByRole('dialog');
    await page.getByRole('button', { name: 'Donate' }).click();
    await dialogFor.waitFor();
    await page.keyboard.press('Escape');
    // No pagehide here: the batch leaves on its own timer (~3 s).
    await expect.poll(funnelTotals, { timeout: UI_WAIT_MS, interval: 500 }).toMatchObject({ impressions: views, opens: 1 });
    const rows = await variants();
    for (const [id, n] of Object.entries(perVariant)) expect(rows.find((r) => r.id === id)).toMatchObject({ impressions: n });
    expect(rows.find((r) => r.id === v.id)!.opens).toBe(1);
    const { json: funnel } = await admin<Funnel>('GET', '/campaigns/craft/funnel');
    expect(funnel.origins).toEqual([host.base]);

    // A page on another origin forges a beacon, by fetch and by sendBeacon.
    const forger = await reader();
    const statuses: number[] = [];
    let settled = 0;
    forger.page.on('response', (r) => r.url().endsWith('/api/campaigns/craft/events') && statuses.push(r.status()));
    forger.ctx.on('requestfinished', (r) => r.url().endsWith('/api/campaigns/craft/events') && settled++);
    forger.ctx.on('requestfailed', (r) => r.url().endsWith('/api/campaigns/craft/events') && settled++);
    await forger.page.goto(`${stranger.base}/`);
    const forged = await forger.page.evaluate(
      async ([url, variant]) => {
        const body = JSON.stringify({ events: [{ type: 'impression', variant, count: 50 }] });
        const queued = navigator.sendBeacon(url, body);
        let fetched: string;
        try {
          const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
          fetched = `status ${r.status}`;
        } catch (e) {
          fetched = `refused: ${String(e)}`;
        }
        return { queued, fetched };
      },
      [`${app.base}/api/campaigns/craft/events`, v.id] as const,
    );
    // Without an Access-Control-Allow-Origin for the stranger, the page cannot even read the answer.
    expect(forged.fetched).toMatch(/^refused/);
    // Both requests (the beacon and the fetch) reached the server and were answered.
    await expect.poll(() => settled).toBe(2);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 403)).toBe(true);
    // The same forged beacon, its answer read directly: refused.
    const direct = await fetch(`${app.base}/api/campaigns/craft/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: stranger.base },
      body: JSON.stringify({ events: [{ type: 'impression', variant: v.id, count: 50 }] }),
    });
    expect(direct.status).toBe(403);
    expect(await funnelTotals()).toMatchObject({ impressions: views, opens: 1 });
    expect(errors).toEqual([]);
  });

  it('attributes a checkout started from the banner to its variant, and the payment', async () => {
    const { page } = await reader();
    await page.goto(`${host.base}/`);
    const v = await shown(page);
    await page.getByRole('button', { name: 'Donate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: /^Donate \$/ }).click();
    await page.waitForURL(/\/emulator\/checkout\//);
    const email = page.getByLabel('Email');
    if (!(await email.inputValue())) await email.fill('donor@example.org');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/\/thanks\?session_id=/);
    await app.emulator.flush();
    const row = async () => (await variants()).find((r) => r.id === v.id)!;
    await expect.poll(async () => (await row()).paid, { timeout: UI_WAIT_MS, interval: 500 }).toBe(1);
    expect(await row()).toMatchObject({ checkouts: 1, paid: 1 });
    for (const other of (await variants()).filter((r) => r.id !== v.id)) expect(other).toMatchObject({ checkouts: 0, paid: 0 });
    expect(await funnelTotals()).toMatchObject({ checkouts: 1, paid: 1 });
  });

  it('speaks Spanish with the translated copy, and Arabic right to left', async () => {
    const put = await admin('PUT', '/campaigns/lingo/translations/es', {
      headline: 'Mantengamos independiente el Ledger',
      message: 'Dona hoy.',
    });
    expect(put.status).toBe(200);
    const es = await reader();
    await es.page.goto(`${host.base}/es`);
    await es.page.getByRole('button', { name: 'Donar' }).waitFor();
    await expect.poll(async () => (await variantOf(es.page))?.headline).toBe('Mantengamos independiente el Ledger');
    const esRoot = await es.page.evaluate(() => {
      const r = document.querySelector('groundswell-banner')!.shadowRoot!;
      return { dir: r.querySelector('.gs-root')!.getAttribute('dir'), text: r.textContent };
    });
    expect(esRoot.dir).toBe('ltr');
    expect(await es.page.getByRole('button', { name: 'Cerrar el anuncio de recaudación' }).count()).toBe(1);
    expect(await es.page.getByRole('region', { name: 'Recaudación: The Riverside Ledger' }).count()).toBe(1);
    expect(esRoot.text).toContain('Dona hoy.');

    const ar = await reader();
    await ar.page.goto(`${host.base}/ar`);
    await ar.page.getByRole('button', { name: 'تبرّع' }).waitFor();
    const arRoot = await ar.page.evaluate(() => {
      const r = document.querySelector('groundswell-banner')!.shadowRoot!;
      return { dir: r.querySelector('.gs-root')!.getAttribute('dir'), direction: getComputedStyle(r.querySelector('.gs')!).direction };
    });
    expect(arRoot).toEqual({ dir: 'rtl', direction: 'rtl' });
    expect(await ar.page.getByRole('button', { name: 'إغلاق شريط التبرعات' }).count()).toBe(1);
    // No Arabic copy was written: the campaign's own headline stands.
    expect((await variantOf(ar.page))?.headline).toBe(CONTROL_HEADLINE);
    expect(es.errors).toEqual([]);
    expect(ar.errors).toEqual([]);
  });

  it('holds a frequency cap of 2 views a day; with consent required it stores nothing and shows uncapped until consent', async () => {
    const patch = await admin('PATCH', '/campaigns/capped', { frequency: { impressions: 2, days: 1 } });
    expect(patch.status).toBe(200);
    const { page, errors } = await reader();
    for (let i = 0; i < 2; i++) {
      await page.goto(`${host.base}/capped`);
      await page.getByRole('button', { name: 'Donate' }).waitFor();
      await expect
        .poll(async () => JSON.parse((await page.evaluate(() => localStorage.getItem('groundswell:seen:capped'))) ?? '[]').length)
        .toBe(2 + i + 1);
    }
    await page.goto(`${host.base}/capped`);
    await page.waitForFunction(() => !!(window as unknown as { Groundswell?: unknown }).Groundswell);
    await page.locator('script[data-groundswell-mounted]').waitFor({ state: 'attached' });
    expect(await banners(page)).toBe(0);
    // The same capped reader on a page that asks consent first: nothing is read, so it shows,
    // and nothing more is counted.
    await page.goto(`${host.base}/capped-consent`);
    await page.getByRole('button', { name: 'Donate' }).waitFor();
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('groundswell:seen:capped'))) ?? '[]')).toHaveLength(4);

    const consent = await reader();
    for (let i = 0; i < 3; i++) {
      await consent.page.goto(`${host.base}/capped-consent`);
      await consent.page.getByRole('button', { name: 'Donate' }).waitFor();
      expect(await ourKeys(consent.page)).toEqual([]);
    }
    await consent.page.evaluate(() => (window as unknown as { Groundswell: { consent(y: boolean): void } }).Groundswell.consent(true));
    await expect.poll(() => ourKeys(consent.page)).toContain('groundswell:seen:capped');
    expect(errors).toEqual([]);
    expect(consent.errors).toEqual([]);
  });
});
