import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launch, screenshotPath, UI_WAIT_MS } from './helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

const HOSTILE_CSS = `
  * { color: red !important; font-size: 40px; font-family: "Comic Sans MS", cursive !important; line-height: 3 !important;
      letter-spacing: 4px; text-transform: uppercase; box-sizing: content-box !important; }
  div, section, button, p, h2 { display: inline !important; margin: 17px !important; padding: 9px !important; background: lime !important; border: 5px dashed blue !important; }
  button { visibility: hidden; }
  html { font-size: 5px; }
`;

describe.skipIf(!hasChromium)('embedded banner on another origin (Chromium)', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let browser: Browser;
  const pages: Page[] = [];

  async function open(path: string, opts: { width?: number; init?: string } = {}): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    (page as Page & { errors?: string[] }).errors = errors;
    // Listened to before navigation: a warning can come before goto() returns.
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    (page as Page & { messages?: string[] }).messages = messages;
    if (opts.init) await page.addInitScript(opts.init);
    await page.goto(`${host.base}${path}`);
    return page;
  }
  const pageErrors = (p: Page) => (p as Page & { errors?: string[] }).errors ?? [];

  beforeAll(async () => {
    app = await startApp();
    await app.campaign({ slug: 'year-end', match: { ratio: { ppm: 1_000_000 }, cap: 1_000_000 } });
    await app.campaign({ slug: 'spring-drive', headline: 'Spring membership drive', currency: 'EUR', goal: 200_000, presets: [500, 1500] });
    // $6,172.50 given, matched 1:1 → $12,345 of $50,000 = 24 %.
    await app.give('year-end', { amount: 500_000, frequency: 'once', name: 'Ada', email: 'ada@example.org' });
    await app.give('year-end', { amount: 117_250, frequency: 'once', email: 'bob@example.org' });
    const tag = (attrs: string) => `<script src="${app.base}/embed.js" ${attrs} async></script>`;
    host = await startHostSite({
      '/': `<!doctype html><html><head><meta name="viewport" content="width=device-width"><style>${HOSTILE_CSS}</style>
        <script>window.__before = Object.keys(window);</script></head>
        <body><h1 id="first">The host page</h1><p id="para">Some article text.</p>${tag('data-campaign="year-end"')}</body></html>`,
      '/two': `<!doctype html><html><head><style>body{font:16px serif}</style></head><body>
        <h1>Two campaigns</h1>
        <div id="inline-mount" data-groundswell-campaign="spring-drive" data-accent="#0b6e4f" data-locale="de-DE"></div>
        <p>Text between.</p>
        ${tag('data-campaign="year-end" data-placement="bottom"')}
        ${tag('data-campaign="spring-drive" data-placement="inline"')}
        </body></html>`,
      '/div': `<!doctype html><html><body><p>Before.</p><div id="mount" data-groundswell-campaign="year-end" data-accent="#0b6e4f"></div><p>After.</p>
        <script src="${app.base}/embed.js" async></script></body></html>`,
      '/missing': `<!doctype html><html><body><p id="para">Nothing to see.</p>${tag('data-campaign="no-such-campaign"')}</body></html>`,
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await app?.close();
  });

  it('renders the right numbers in a shadow root that the host CSS cannot reach', async () => {
    const page = await open('/');
    const meter = page.getByRole('progressbar');
    await expect.poll(() => meter.getAttribute('aria-valuenow')).toBe('24');
    expect(await meter.getAttribute('aria-valuemin')).toBe('0');
    expect(await meter.getAttribute('aria-valuemax')).toBe('100');
    expect(await meter.getAttribute('aria-valuetext')).toBe('$12,345 raised of $50,000 goal, 24%');
    const banner = page.locator('groundswell-banner');
    await expect.poll(() => banner.evaluate((el) => el.shadowRoot?.mode)).toBe('open');
    const text = await banner.evaluate((el) => el.shadowRoot!.textContent);
    expect(text).toContain('Urgent End Of Year Fundraising Campaign');
    expect(text).toContain('Online donations are back!');
    expect(text).toContain('$12,345 raised of $50,000 goal');
    expect(text).toContain('2 donors');
    expect(text).toMatch(/30 days left/);
    expect(text).toContain('Gifts matched 1:1 up to $10,000');
    await expect.poll(() => page.getByRole('button', { name: 'Donate' }).isVisible()).toBe(true);
    // The suite runs on the emulator: the banner says TEST MODE (SPEC §2), visibly, without moving the layout.
    const note = page.getByRole('note').filter({ hasText: 'TEST MODE' });
    expect(await note.isVisible()).toBe(true);

    // Host CSS: colour, font, display and visibility inside the banner are the banner's own.
    const styles = await banner.evaluate((el) => {
      const root = el.shadowRoot!;
      const get = (sel: string) => getComputedStyle(root.querySelector(sel)!);
      const h = get('.hl');
      const b = get('.gs-btn');
      return {
        color: h.color,
        size: h.fontSize,
        family: h.fontFamily,
        transform: h.textTransform,
        btnVis: b.visibility,
        btnBg: b.backgroundColor,
        gsDisplay: get('.gs').display,
      };
    });
    expect(styles.color).not.toBe('rgb(255, 0, 0)');
    expect(styles.size).toBe('19px');
    expect(styles.family).not.toMatch(/Comic/);
    expect(styles.transform).toBe('none');
    expect(styles.btnVis).toBe('visible');
    expect(styles.btnBg).toBe('rgb(179, 38, 30)');
    expect(styles.gsDisplay).toBe('grid');

    // It sits at the top of the page, as a fixed-height block, and adds exactly one global.
    const layout = await page.evaluate(() => {
      const host = document.querySelector('groundswell-banner')!;
      return {
        first: document.body.firstElementChild === host,
        height: host.getBoundingClientRect().height,
        h1Top: document.getElementById('first')!.getBoundingClientRect().top,
        globals: Object.keys(window).filter((k) => !(window as unknown as { __before: string[] }).__before.includes(k) && k !== '__before'),
      };
    });
    expect(layout.first).toBe(true);
    expect(layout.height).toBe(120);
    expect(layout.h1Top).toBeGreaterThanOrEqual(120);
    expect(layout.globals).toEqual(['Groundswell']);
    expect(pageErrors(page)).toEqual([]);
  });

  it('paints the numbers carried in embed.js, as the progress endpoint has them, then follows the stream', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    // What the headline's first appearance in the shadow root came with: the numbers, in one go.
    await page.addInitScript(() => {
      new MutationObserver((_, mo) => {
        const root = document.querySelector('groundswell-banner')?.shadowRoot;
        if (!root) return;
        mo.disconnect();
        (window as unknown as { __first: string | null }).__first = root.textContent;
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${host.base}/`);
    const meter = page.getByRole('progressbar');
    await expect.poll(() => meter.getAttribute('aria-valuenow')).toBe('24');
    const api = (await (await fetch(`${app.base}/api/campaigns/year-end`)).json()) as { total: number; goal: number; percent: number };
    expect(api).toMatchObject({ total: 1_234_500, goal: 5_000_000, percent: 24, donors: 2 });
    expect(await meter.getAttribute('aria-valuetext')).toBe('$12,345 raised of $50,000 goal, 24%');
    const first = await page.evaluate(() => (window as unknown as { __first: string | null }).__first);
    // The observer runs after the script's task: the banner was rendered whole, not as a skeleton.
    expect(first).toContain('Urgent End Of Year Fundraising Campaign');
    expect(first).toContain('$12,345 raised of $50,000 goal');
    expect(first).toContain('2 donors');
    expect(asked).not.toContain('/api/campaigns/year-end');
    // It follows the live stream from there (which starts with the current state).
    await expect.poll(() => asked.includes('/api/campaigns/year-end/stream')).toBe(true);
  });

  it.each([
    { locale: 'en-US', meter: /^\$12,345 raised of \$50,000 goal, 24%$/ },
    // A reader tag whose money reads otherwise: its own markup, its own lang.
    { locale: 'en-AU', meter: /^USD\s12,345 raised of USD\s50,000 goal, 24%$/ },
  ])(
    'paints the server-rendered banner before its live code arrives, which then takes it over in place ($locale)',
    async ({ locale, meter: meterText }) => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
      ctx.setDefaultTimeout(UI_WAIT_MS);
      const page = await ctx.newPage();
      pages.push(page);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      // embed-app.js is held back until the test lets it go.
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let asked = 0;
      await page.route(/\/embed-app\.js/, async (route) => {
        asked++;
        await held;
        await route.continue();
      });
      await page.goto(`${host.base}/`);
      const banner = page.locator('groundswell-banner');
      const meter = page.getByRole('progressbar');
      await expect.poll(() => meter.getAttribute('aria-valuetext')).toMatch(meterText);
      // The banner's elements, attributes in name order (React and Preact order them differently).
      const canon = (el: Element) => {
        const walk = (n: Node): string =>
          n.nodeType === 3
            ? (n.textContent ?? '')
            : n instanceof Element
              ? `<${n.localName}${[...n.attributes]
                  .filter((a) => a.name !== 'style' && a.name !== 'aria-busy')
                  .map((a) => ` ${a.name}="${a.value}"`)
                  .sort()
                  .join('')}>${[...n.childNodes].map(walk).join('')}</${n.localName}>`
              : '';
        return walk(el.shadowRoot!.querySelector('.gs')!);
      };
      const before = await banner.evaluate(
        (el, c) => ({
          text: el.shadowRoot!.textContent,
          html: new Function(`return ${c}`)()(el) as string,
          height: el.getBoundingClientRect().height,
          roots: el.shadowRoot!.querySelectorAll('.gs-root').length,
          lang: el.shadowRoot!.querySelector('.gs-root')!.getAttribute('lang'),
          bg: getComputedStyle(el.shadowRoot!.querySelector('.gs-btn')!).backgroundColor,
        }),
        canon.toString(),
      );
      expect(before.text).toContain('Urgent End Of Year Fundraising Campaign');
      expect(before.text).toContain('2 donors');
      expect(before.text).toMatch(/30 days left/);
      expect(before).toMatchObject({ height: 120, roots: 1, lang: locale, bg: 'rgb(179, 38, 30)' });
      // Asked for only after that paint, and still on its way: the reader clicks Donate meanwhile.
      await expect.poll(() => asked).toBe(1);
      await page.getByRole('button', { name: 'Donate' }).click();
      release();
      // The live banner renders the same markup, in place of the painted one; the click is not lost.
      const dialog = page.getByRole('dialog', { name: 'Support The Riverside Ledger' });
      await expect.poll(() => dialog.isVisible()).toBe(true);
      const after = await banner.evaluate(
        (el, c) => ({
          html: new Function(`return ${c}`)()(el) as string,
          roots: el.shadowRoot!.querySelectorAll('.gs-root').length,
          lang: el.shadowRoot!.querySelector('.gs-root')!.getAttribute('lang'),
          height: el.getBoundingClientRect().height,
        }),
        canon.toString(),
      );
      expect(after.roots).toBe(1);
      expect(after.lang).toBe(locale);
      expect(after.height).toBe(120);
      // The same elements, attributes and words (the dialog sits beside .gs, outside what is compared).
      expect(after.html).toBe(before.html);
      expect(errors).toEqual([]);
    },
  );

  it('keeps a painted banner useful when the live code cannot be loaded: Donate leads to the donate page', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    await page.route(/\/embed-app\.js/, (route) => route.abort());
    await page.goto(`${host.base}/`);
    const meter = page.getByRole('progressbar');
    await expect.poll(() => meter.getAttribute('aria-valuetext')).toBe('$12,345 raised of $50,000 goal, 24%');
    await page.getByRole('button', { name: 'Donate' }).click();
    await page.waitForURL(`${app.base}/donate/year-end`);
    expect(new URL(page.url()).pathname).toBe('/donate/year-end');
  });

  it('paints an inline <div> mount the same way, before the live code, which takes it over', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route(/\/embed-app\.js/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${host.base}/div`);
    const banner = page.locator('#mount groundswell-banner');
    await expect.poll(() => banner.evaluate((el) => el.shadowRoot?.textContent ?? '')).toContain('$12,345 raised of $50,000 goal');
    const accent = () => banner.evaluate((el) => getComputedStyle(el.shadowRoot!.querySelector('.gs-btn')!).backgroundColor);
    expect(await accent()).toBe('rgb(11, 110, 79)');
    expect(await banner.getAttribute('data-placement')).toBe('inline');
    release();
    // Live: the donate dialog opens (its code comes through embed-app.js).
    await page.getByRole('button', { name: 'Donate' }).click();
    await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(true);
    expect(await banner.evaluate((el) => el.shadowRoot!.querySelectorAll('.gs-root').length)).toBe(1);
    expect(await accent()).toBe('rgb(11, 110, 79)');
  });

  it('reserves its height before the data arrives (no second shift of the host page)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    // embed.js as built (no progress folded in, as when many campaigns are open): the banner asks the API.
    await page.route(`${app.base}/embed.js`, async (route) => {
      const res = await route.fetch();
      const body = (await res.text()).replace(/JSON\.parse\("\{(?:[^"\\]|\\.)*"\)/, 'JSON.parse(`__GS_FOLDED__`)');
      expect(body).toContain('__GS_FOLDED__');
      await route.fulfill({ response: res, body });
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await page.route(`${app.base}/api/campaigns/year-end`, async (route) => {
      await gate;
      await route.continue();
    });
    await page.goto(`${host.base}/`);
    const host0 = page.locator('groundswell-banner');
    await host0.waitFor({ state: 'attached' });
    const before = await page.evaluate(() => ({
      h: document.querySelector('groundswell-banner')!.getBoundingClientRect().height,
      top: document.getElementById('first')!.getBoundingClientRect().top,
    }));
    release();
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('24');
    const after = await page.evaluate(() => ({
      h: document.querySelector('groundswell-banner')!.getBoundingClientRect().height,
      top: document.getElementById('first')!.getBoundingClientRect().top,
    }));
    expect(before.h).toBe(120);
    expect(after).toEqual(before);
  });

  it('shows several banners on one page independently, themed by data-* attributes', async () => {
    const page = await open('/two');
    const hosts = page.locator('groundswell-banner');
    await expect.poll(() => hosts.count()).toBe(3);
    await expect.poll(() => page.getByRole('progressbar').count()).toBe(3);
    const info = await page.evaluate(() =>
      [...document.querySelectorAll('groundswell-banner')].map((h) => ({
        campaign: h.getAttribute('data-campaign'),
        placement: h.getAttribute('data-placement'),
        position: getComputedStyle(h).position,
        inMount: h.parentElement?.id === 'inline-mount',
        fill: getComputedStyle(h.shadowRoot!.querySelector('.fill')!).backgroundColor,
        text: h.shadowRoot!.querySelector('.fig')?.textContent,
      })),
    );
    const bottom = info.find((i) => i.placement === 'bottom')!;
    expect(bottom.campaign).toBe('year-end');
    expect(bottom.position).toBe('fixed');
    const mounted = info.find((i) => i.inMount)!;
    expect(mounted.campaign).toBe('spring-drive');
    expect(mounted.fill).toBe('rgb(11, 110, 79)'); // data-accent
    expect(mounted.text).toMatch(/0\s€ von 2\.000\s€ Ziel gesammelt/); // data-locale="de-DE": German words and numbers
    expect(info.filter((i) => i.campaign === 'spring-drive' && i.placement === 'inline')).toHaveLength(2);
    // The fixed bottom banner keeps room of its own height below the content, so it never covers
    // the end of the page; the room goes with the banner.
    const spacer = () =>
      page.evaluate(() => (document.querySelector('[data-groundswell-spacer]') as HTMLElement | null)?.offsetHeight ?? null);
    const bottomHeight = await page.locator('groundswell-banner[data-placement=bottom]').evaluate((h) => (h as HTMLElement).offsetHeight);
    expect(bottomHeight).toBeGreaterThan(0);
    expect(await spacer()).toBe(bottomHeight);
    // Closing one leaves the others.
    await page.locator('groundswell-banner[data-placement=bottom]').getByRole('button', { name: 'Close the fundraising banner' }).click();
    await expect.poll(() => hosts.count()).toBe(2);
    expect(await spacer()).toBeNull();
    expect(pageErrors(page)).toEqual([]);
  });

  it('removes itself quietly when the campaign does not exist', async () => {
    const page = await open('/missing');
    const warnings = (page as Page & { messages?: string[] }).messages ?? [];
    await expect.poll(() => warnings.some((w) => w.includes('[groundswell]'))).toBe(true);
    expect(await page.locator('groundswell-banner').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
  });

  it('animates the meter, except under prefers-reduced-motion', async () => {
    const duration = (p: Page) =>
      p.evaluate(
        () => getComputedStyle(document.querySelector('groundswell-banner')!.shadowRoot!.querySelector('.fill')!).transitionDuration,
      );
    const moving = await open('/');
    await moving.getByRole('progressbar').waitFor();
    expect(await duration(moving)).toBe('0.9s');
    const still = await open('/');
    await still.emulateMedia({ reducedMotion: 'reduce' });
    await still.getByRole('progressbar').waitFor();
    expect(await duration(still)).toBe('0s');
  });

  it('remembers a dismissal per campaign across reloads, and survives blocked storage', async () => {
    const page = await open('/');
    await page.getByRole('button', { name: 'Close the fundraising banner' }).click();
    await expect.poll(() => page.locator('groundswell-banner').count()).toBe(0);
    const stored = await page.evaluate(() => Number(localStorage.getItem('groundswell:dismissed:year-end')));
    expect(stored - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(stored - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    await page.reload();
    // The script marks its tag once it has decided (here: dismissed, so no element at all).
    await page.locator('script[data-groundswell-mounted]').waitFor({ state: 'attached' });
    expect(await page.locator('groundswell-banner').count()).toBe(0);

    const blocked = await open('/', {
      init: `Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });`,
    });
    await expect.poll(() => blocked.getByRole('progressbar').count()).toBe(1);
    await blocked.getByRole('button', { name: 'Close the fundraising banner' }).click();
    await expect.poll(() => blocked.locator('groundswell-banner').count()).toBe(0);
    expect(pageErrors(blocked)).toEqual([]);
  });

  it('opens an accessible dialog: keyboard only, focus trapped, Escape closes, focus returns', async () => {
    const page = await open('/');
    const donate = page.getByRole('button', { name: 'Donate' });
    await donate.waitFor();
    await donate.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Support The Riverside Ledger' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const focusInDialog = () =>
      page.evaluate(() => {
        const root = document.querySelector('groundswell-banner')!.shadowRoot!;
        return !!root.activeElement?.closest('dialog');
      });
    expect(await focusInDialog()).toBe(true);
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press(i % 7 === 6 ? 'Shift+Tab' : 'Tab');
      expect(await focusInDialog()).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    const focused = await page.evaluate(() => document.querySelector('groundswell-banner')!.shadowRoot!.activeElement?.textContent);
    expect(focused).toBe('Donate');

    // Enter submits; the chooser checks the minimum as the server does, in words.
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const other = dialog.getByLabel('Other amount (USD)');
    await other.fill('0.25');
    await other.press('Enter');
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('Please check the highlighted fields');
    expect(await dialog.textContent()).toContain('The minimum gift is $0.50');
    expect(await other.getAttribute('aria-invalid')).toBe('true');

    // Cover the fees: the exact added amount, computed like the server (ceil((25 + 0.30) / 0.971)).
    await other.fill('25');
    await dialog.getByLabel(/to help cover processing fees/).check();
    expect(await dialog.textContent()).toContain('Add $1.06 to help cover processing fees');
    // Typing a new amount keeps the donor's choice; the added sum follows the amount.
    await other.fill('50');
    expect(await dialog.getByLabel(/to help cover processing fees/).isChecked()).toBe(true);
    expect(await dialog.textContent()).toContain('Add $1.81 to help cover processing fees');
    await other.fill('25');
    expect(await dialog.getByRole('button', { name: /^Donate/ }).textContent()).toBe('Donate $26.06');

    // Server refusals are shown in the server's words.
    const answers = [
      {
        status: 429,
        headers: { 'Retry-After': '42' },
        error: { code: 'rate_limited', message: 'Too many donation attempts from this connection; please wait a minute and try again' },
      },
      { status: 409, error: { code: 'campaign_closed', message: 'This campaign has ended and is not taking gifts' } },
      { status: 400, error: { code: 'amount_too_small', message: 'The minimum gift is $0.50', field: 'amount' } },
    ];
    for (const a of answers) {
      await page.route(`${app.base}/api/campaigns/year-end/checkout`, (route) =>
        route.fulfill({
          status: a.status,
          contentType: 'application/json',
          headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After', ...a.headers },
          body: JSON.stringify({ error: a.error }),
        }),
      );
      await dialog.getByRole('button', { name: /^Donate/ }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain(a.error.message);
      if (a.status === 429) {
        expect(await dialog.getByRole('alert').textContent()).toContain('try again in 42 seconds');
        expect(await dialog.getByRole('button', { name: /^Donate/ }).isDisabled()).toBe(true);
        await page.keyboard.press('Escape');
        await expect.poll(() => dialog.isVisible()).toBe(false);
        await page.keyboard.press('Enter'); // focus is back on Donate; reopening starts a fresh form
        await expect.poll(() => dialog.isVisible()).toBe(true);
        await dialog.getByLabel('Other amount (USD)').fill('25');
        // A fresh form: cover-the-fees starts unticked again.
        expect(await dialog.getByLabel(/to help cover processing fees/).isChecked()).toBe(false);
        await dialog.getByLabel(/to help cover processing fees/).check();
      }
      await page.unroute(`${app.base}/api/campaigns/year-end/checkout`);
    }
    expect(await other.getAttribute('aria-invalid')).toBe('true');
    expect(pageErrors(page)).toEqual([]);
  });

  it('loads the dialog code only when a reader reaches for Donate, once, and the dialog works', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(UI_WAIT_MS);
    const page = await ctx.newPage();
    pages.push(page);
    const scripts: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname + new URL(r.url()).search);
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${host.base}/`);
    const donate = page.getByRole('button', { name: 'Donate' });
    await donate.waitFor();
    // embed.js paints; the live banner (embed-app.js, named by its content hash) follows; the dialog's code waits.
    await expect.poll(() => scripts.length).toBe(2);
    expect(scripts[0]).toBe('/embed.js');
    expect(scripts[1]).toMatch(/^\/embed-app\.js\?v=[0-9a-f]{12}$/);
    await donate.click();
    const dialog = page.getByRole('dialog', { name: 'Support The Riverside Ledger' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(scripts).toHaveLength(3);
    expect(scripts[2]).toMatch(/^\/embed-donate\.js\?v=[0-9a-f]{12}$/);
    // The form inside is the real one: its amounts and the fee choice answer.
    await dialog.getByLabel('Other amount (USD)').fill('40');
    expect(await dialog.getByRole('button', { name: /^Donate/ }).textContent()).toBe('Donate $40.00');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await donate.click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(scripts).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('is screenshotted on desktop and mobile', async () => {
    for (const [w, name] of [
      [1280, 'banner-host-desktop-1280.png'],
      [390, 'banner-host-mobile-390.png'],
    ] as const) {
      const page = await open('/two', { width: w });
      await expect.poll(() => page.getByRole('progressbar').count()).toBe(3);
      await page.screenshot({ path: screenshotPath(name) });
    }
  });
});
