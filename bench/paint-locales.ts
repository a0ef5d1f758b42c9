/**
 * First banner paint per reader language: the widget bench's host pages (bench/widget.ts, the
 * servers in a process of their own), loaded cold in Chromium by readers whose browser sends
 * another English tag. A tag the server folds a banner for (server/site/embed-figures.ts
 * FIGURE_TAGS) paints from embed.js; any other waits for embed-app.js and the live banner. The
 * plain <div> page is the baseline, as in the bench. Loads alternate, so noise falls on all.
 *
 *   npx tsx bench/paint-locales.ts [loads=12] [tags=en-US,en-AU,en-SG]
 */
import { median } from './load.js';
import { startPaintServers } from './paint-server.js';

const loads = Number(process.argv[2] ?? 12);
const tags = (process.argv[3] ?? 'en-US,en-AU,en-SG').split(',');
const { chromium } = await import('playwright-core');
const servers = await startPaintServers();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const runs: [string, string, 'plain' | 'widget'][] = [
    ['plain (en-US)', 'en-US', 'plain'],
    ...tags.map((t) => [t, t, 'widget'] as [string, string, 'widget']),
  ];
  const times = new Map<string, number[]>();
  for (let i = 0; i <= loads; i++) {
    for (const [name, locale, page] of runs) {
      const context = await browser.newContext({ locale });
      try {
        const p = await context.newPage();
        const reported = p.waitForEvent('console', { predicate: (m) => m.text().startsWith('gs-paint '), timeout: 15_000 });
        await p.goto(`${servers.hostUrl}/${page}.html`, { waitUntil: 'commit', timeout: 15_000 });
        const t = JSON.parse((await reported).text().slice('gs-paint '.length)) as { frame: number };
        // The first round warms the browser process up.
        if (i > 0) times.set(name, [...(times.get(name) ?? []), t.frame]);
      } finally {
        await context.close();
      }
    }
  }
  const base = median(times.get('plain (en-US)')!);
  for (const [name, ms] of times)
    console.log(`${name.padEnd(16)} ${median(ms).toFixed(1).padStart(7)} ms  ${(median(ms) / base).toFixed(2)}×`);
} finally {
  await browser.close();
  await servers.stop();
}
