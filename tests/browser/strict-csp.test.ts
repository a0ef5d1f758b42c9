import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launch } from './helpers/browser.js';
import { type RunningApp, startApp } from './helpers/server.js';

/**
 * A host page with a strict Content-Security-Policy, exactly the lines the README tells a host
 * to add: no 'unsafe-inline' anywhere. The banner must render styled and trip no violation.
 */
describe.skipIf(!hasChromium)('banner on a host page with a strict CSP (Chromium)', () => {
  let app: RunningApp;
  let browser: Browser;
  let host: { base: string; close(): Promise<void> };
  let csp: string;

  beforeAll(async () => {
    app = await startApp();
    await app.campaign({ slug: 'year-end' });
    csp = `default-src 'self'; script-src ${app.base}; connect-src ${app.base}; style-src 'self'`;
    const html = `<!doctype html><html><head><title>Strict</title></head><body><h1>News</h1>
      <script src="${app.base}/embed.js" data-campaign="year-end" async></script></body></html>`;
    const server = createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/') return void res.writeHead(404).end();
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' })
        .end(html);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = {
      base: `http://localhost:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await app?.close();
  });

  it('renders a styled banner with no CSP violation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(30_000);
    const page = await ctx.newPage();
    const consoleCsp: string[] = [];
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && consoleCsp.push(m.text()));
    await page.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const res = await page.goto(host.base);
    expect(res?.headers()['content-security-policy']).toBe(csp);

    const banner = page.locator('[data-campaign="year-end"] .gs');
    await banner.waitFor({ state: 'visible' });
    await page.getByRole('progressbar').waitFor();
    const style = await banner.evaluate((el) => {
      const cs = getComputedStyle(el);
      const root = el.getRootNode() as ShadowRoot;
      return {
        display: cs.display,
        height: cs.height,
        borderBottomWidth: cs.borderBottomWidth,
        styleElements: root.querySelectorAll('style').length,
        adopted: root.adoptedStyleSheets.length,
      };
    });
    // The banner's own CSS applied: a grid of fixed height with its accent border.
    expect(style.display).toBe('grid');
    expect(style.height).toBe('120px');
    expect(style.borderBottomWidth).toBe('4px');
    expect(style.styleElements).toBe(0);
    expect(style.adopted).toBeGreaterThan(0);

    const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    expect(violations).toEqual([]);
    expect(consoleCsp).toEqual([]);
    await ctx.close();
  });
});
