import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/build.js';
import { hasChromium, launch, UI_WAIT_MS } from './helpers/browser.js';
import { type RunningApp, startApp, startHostSite } from './helpers/server.js';

describe.skipIf(!hasChromium)('the <Banner> React component (web/index.ts) on a React site', () => {
  let app: RunningApp;
  let host: { base: string; close(): Promise<void> };
  let browser: Browser;
  let out: string;

  beforeAll(async () => {
    // Bundle a small React site with the package entry, the way a React site would.
    out = mkdtempSync(path.join(tmpdir(), 'gs-react-site-'));
    // vitest runs with NODE_ENV=test, which would make plugin-react emit the dev JSX runtime.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    await build({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      plugins: [react()],
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: {
        outDir: out,
        emptyOutDir: true,
        minify: false,
        lib: {
          entry: path.join(ROOT, 'tests/browser/fixtures/react-site.tsx'),
          formats: ['iife'],
          name: 'ReactSite',
          fileName: () => 'site.js',
        },
      },
    }).finally(() => {
      process.env.NODE_ENV = nodeEnv;
    });
    app = await startApp();
    await app.campaign({ slug: 'year-end', currency: 'GBP', goal: 100_000 });
    await app.give('year-end', { amount: 2_550, frequency: 'once', email: 'a@example.org' });
    const js = readFileSync(path.join(out, 'site.js'), 'utf8');
    host = await startHostSite({
      '/': `<!doctype html><html><head><style>* { color: red !important } h2 { font-size: 60px !important }</style></head>
        <body><div id="root"></div><script>window.GS_API = ${JSON.stringify(app.base)};</script><script src="/site.js"></script></body></html>`,
      '/site.js': js,
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await app?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('renders the banner in its own shadow root with live data, and unmounts cleanly', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(UI_WAIT_MS);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${host.base}/`);
    const meter = page.getByRole('progressbar');
    await expect.poll(() => meter.getAttribute('aria-valuetext')).toBe('£25.50 raised of £1,000 goal, 2%');
    const look = await page.evaluate(() => {
      const hostEl = document.querySelector('[data-campaign="year-end"]')!;
      const root = hostEl.shadowRoot!;
      return {
        mode: root.mode,
        hlColor: getComputedStyle(root.querySelector('.hl')!).color,
        hlSize: getComputedStyle(root.querySelector('.hl')!).fontSize,
        fill: getComputedStyle(root.querySelector('.fill')!).backgroundColor,
      };
    });
    expect(look).toEqual({ mode: 'open', hlColor: 'rgb(18, 18, 18)', hlSize: '19px', fill: 'rgb(18, 52, 86)' });

    // The dialog works from React too.
    await page.getByRole('button', { name: 'Donate' }).click();
    await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(true);
    // From React too, cover-the-fees is help worded as such and never pre-selected.
    const cover = page.getByRole('dialog').getByLabel(/to help cover processing fees/);
    expect(await cover.isChecked()).toBe(false);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(false);

    // Live: a gift elsewhere moves this meter.
    await app.give('year-end', { amount: 10_000, frequency: 'once', email: 'b@example.org' });
    await expect.poll(() => meter.getAttribute('aria-valuetext')).toBe('£125.50 raised of £1,000 goal, 12%');

    await page.getByRole('button', { name: 'Toggle banner' }).click();
    await expect.poll(() => page.getByRole('progressbar').count()).toBe(0);
    await page.getByRole('button', { name: 'Toggle banner' }).click();
    await expect.poll(() => page.getByRole('progressbar').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
