import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from './load.js';
import type { Section } from './run.js';
import { HEADLINE, startBare } from './servers.js';

/**
 * SPEC §8: the widget's size (min+gzip) against its budget, and the time to first banner paint
 * in Chromium against the same host page carrying a plain inline <div> of the same text.
 *
 * Each load is a new browser context (cold cache, no stored dismissal), as for a reader's first
 * visit. The host page lives on its own origin, like a real site embedding the widget from the
 * Groundswell server. "Paint" is the first animation frame after the headline is in the DOM (the
 * banner's shadow root or the plain <div>), read with performance.now(), whose zero is the start
 * of navigation. Loads alternate widget / plain / smallest script so that noise falls on all.
 * The smallest script (FLOOR_JS) shows how much of the widget's gap any external script pays.
 */
const BUDGET_BYTES = 16 * 1024;
const ADMIN_BUDGET_BYTES = 150 * 1024;
const LOADS = 10;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const EMBED = fileURLToPath(new URL('../dist/web/embed.js', import.meta.url));
const EMBED_DONATE = fileURLToPath(new URL('../dist/web/embed-donate.js', import.meta.url));
const EMBED_APP = fileURLToPath(new URL('../dist/web/embed-app.js', import.meta.url));

const MESSAGE = 'Every gift before December 31 is matched by the Friends of the Library, up to $5,000.';

/** Host page; `banner` is the script tag or the static <div>. The head script resolves
 * window.__gsPaint with the time of the first frame that has the headline. */
export function hostPage(banner: string): string {
  const article = Array.from(
    { length: 6 },
    (_, i) =>
      `<p>Paragraph ${i + 1} of a local news article. The river rose again this week and the reading room on Mill Street moved its children's shelves upstairs.</p>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>River Gazette</title>
<style>body{font:16px/1.5 Georgia,serif;margin:0}main{max-width:40em;margin:2em auto}</style>
<script>
(function () {
  var H = ${JSON.stringify(HEADLINE)};
  window.__gsPaint = new Promise(function (resolve) {
    var done = false, watched = [];
    function watch(node) { watched.push(node); new MutationObserver(check).observe(node, { childList: true, subtree: true, characterData: true }); }
    function check() {
      if (done) return;
      var host = document.querySelector('groundswell-banner');
      if (host && host.shadowRoot && watched.indexOf(host.shadowRoot) < 0) watch(host.shadowRoot);
      var el = (host && host.shadowRoot) || document.getElementById('static-banner');
      if (!el || (el.textContent || '').indexOf(H) < 0) return;
      done = true;
      var found = performance.now();
      requestAnimationFrame(function () {
        var t = { found: found, frame: performance.now() };
        // Read by the bench from the console: nothing of the driver's runs in the page while it loads.
        console.debug('gs-paint ' + JSON.stringify(t));
        resolve(t);
      });
    }
    watch(document.documentElement);
    check();
  });
})();
</script></head>
<body>${banner}
<main><h1>Library reading room stays open</h1>
${article}
</main></body></html>`;
}

function staticBanner(): string {
  return `<div id="static-banner" style="display:flex;gap:1em;padding:12px 16px;background:#fff8e6;border-bottom:1px solid #e5d3a1;font:15px/1.4 system-ui,sans-serif">
<div><h2 style="margin:0;font-size:18px">${HEADLINE}</h2><p style="margin:4px 0 0">${MESSAGE}</p></div>
<div><div style="width:200px;height:8px;background:#eee;border-radius:4px"><div style="width:12%;height:8px;background:#0a7;border-radius:4px"></div></div>
<p style="margin:4px 0 0">40 donors · 30 days left</p></div>
<div><button type="button">Donate</button></div></div>`;
}

/**
 * The same build step as the test suite (tests/browser/helpers/build.ts): only when dist/web is
 * missing or older than its sources, under a lock, so a bench started beside `npm test` never
 * empties dist/web while the browser tests serve from it.
 */
async function ensureBuilt(notes: string[]): Promise<boolean> {
  const { ensureWebBuilt } = await import('../tests/browser/helpers/build.js');
  const before = existsSync(EMBED) ? statSync(EMBED).mtimeMs : 0;
  try {
    await ensureWebBuilt();
  } catch (err) {
    notes.push(`the web build failed: ${String(err).split('\n').slice(0, 3).join(' | ')}`);
  }
  if (existsSync(EMBED) && statSync(EMBED).mtimeMs !== before)
    notes.push('dist/web was missing or older than web/: built it (npm run build).');
  return existsSync(EMBED);
}

/** A script's min+gzip size, against the 16 KiB budget when it has one. */
function sizeRow(metric: string, code: Buffer, budget?: number): Section['rows'][number] {
  const gz = gzipSync(code, { level: 9 }).length;
  return {
    metric,
    unit: 'B',
    value: gz,
    ...(budget !== undefined && { baseline: budget, baselineLabel: 'budget 16 KiB' }),
    better: 'lower',
    display: `${gz.toLocaleString('en')} B (${code.length.toLocaleString('en')} B raw)`,
  };
}

export async function widgetSection(): Promise<Section> {
  const section: Section = {
    id: 'widget',
    title: `Widget: dist/web/embed.js size and first banner paint (Chromium, median of ${LOADS} cold loads)`,
    status: 'ok',
    rows: [],
    notes: [],
  };
  if (!(await ensureBuilt(section.notes))) {
    section.status = 'skipped';
    section.notes.unshift('skipped: embed.js not built (web/embed is built by npm run build into dist/web/embed.js).');
    return section;
  }
  const js = readFileSync(EMBED);
  const gz = gzipSync(js, { level: 9 }).length;
  section.rows.push(sizeRow('embed.js min+gzip', js, BUDGET_BYTES));
  section.details = { rawBytes: js.length, gzipBytes: gz, budgetBytes: BUDGET_BYTES };
  if (existsSync(EMBED_APP)) section.rows.push(sizeRow('embed-app.js (after the first paint)', readFileSync(EMBED_APP), BUDGET_BYTES));
  if (existsSync(EMBED_DONATE)) section.rows.push(sizeRow('embed-donate.js (on first Donate)', readFileSync(EMBED_DONATE)));
  try {
    const { adminInitialScripts } = await import('../tests/browser/helpers/build.js');
    const files = adminInitialScripts();
    const agz = files.reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    section.rows.push({
      metric: 'admin initial JS min+gzip',
      unit: 'B',
      value: agz,
      baseline: ADMIN_BUDGET_BYTES,
      baselineLabel: 'budget 150 KiB',
      better: 'lower',
    });
  } catch (err) {
    section.notes.push(`admin bundle not measured: ${(err as Error).message}`);
  }

  try {
    await import('playwright-core');
  } catch {
    section.notes.push('first paint not measured: playwright-core is not installed (it is a devDependency: npm ci).');
    return section;
  }
  if (!existsSync(CHROMIUM)) {
    section.notes.push(`first paint not measured: ${CHROMIUM} not found (Debian: apt-get install -y chromium).`);
    return section;
  }

  try {
    await measurePaint(section);
  } catch (err) {
    section.status = 'failed';
    section.notes.push(`first paint failed: ${(err as Error).message}`);
  }
  return section;
}

async function measurePaint(section: Section): Promise<void> {
  const { chromium } = await import('playwright-core');
  const { startPaintServers } = await import('./paint-server.js');
  const stops: (() => Promise<void>)[] = [];
  try {
    // The app and the host pages run in a process of their own, as a real server would.
    const servers = await startPaintServers();
    stops.unshift(servers.stop);
    // embed.js as the page gets it: with the open campaign's progress, figures and markup folded in.
    const served = Buffer.from(await (await fetch(`${servers.appUrl}/embed.js`)).arrayBuffer());
    section.rows.push(sizeRow('embed.js as served (1 campaign folded in)', served, BUDGET_BYTES));
    const host = { url: servers.hostUrl };
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    stops.unshift(() => browser.close());

    const load = async (name: 'widget' | 'plain' | 'floor' | 'floor-blocking') => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        // The page reports its time on the console: nothing of the driver's runs in the page while
        // it loads (a page.evaluate at DOMContentLoaded would sit in the widget's way).
        const reported = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('gs-paint '), timeout: 15_000 });
        reported.catch(() => {});
        await page.goto(`${host.url}/${name}.html`, { waitUntil: 'commit', timeout: 15_000 });
        const t = JSON.parse((await reported).text().slice('gs-paint '.length)) as { found: number; frame: number };
        return t.frame;
      } finally {
        await context.close();
      }
    };
    const kinds = ['widget', 'plain', 'floor', 'floor-blocking'] as const;
    for (const k of kinds) await load(k);
    const times = { widget: [] as number[], plain: [] as number[], floor: [] as number[], 'floor-blocking': [] as number[] };
    for (let i = 0; i < LOADS; i++) for (const k of kinds) times[k].push(await load(k));
    section.rows.push({
      metric: 'first banner paint',
      unit: 'ms',
      value: median(times.widget),
      baseline: median(times.plain),
      baselineLabel: 'inline <div>',
      better: 'lower',
    });
    section.rows.push({
      metric: 'first paint, smallest possible script',
      unit: 'ms',
      value: median(times.floor),
      baseline: median(times.plain),
      baselineLabel: 'inline <div>',
      better: 'lower',
    });
    section.rows.push({
      metric: 'first paint, smallest parser-blocking script',
      unit: 'ms',
      value: median(times['floor-blocking']),
      baseline: median(times.plain),
      baselineLabel: 'inline <div>',
      better: 'lower',
    });
    section.notes.push(
      'the app and the host pages are served by a child process (bench/paint-server.ts); each page reports its paint on the console.',
      'smallest possible script: a 0.3 KB script from another local server that puts the same headline in a shadow root, i.e. what any external <script async> costs here before its banner can paint.',
      'smallest parser-blocking script: the same script without async, so the page waits for it before it paints anything (not what the snippet does: a slow server would hold the host page).',
    );
    section.details = { ...(section.details as object), paintMs: times };
  } finally {
    for (const stop of stops) await stop();
  }
}

/**
 * The smallest script that puts the headline in a shadow root: what any `<script async>` from
 * another origin costs before its banner can paint (the fetch on a new connection, the run, the
 * next frame), whatever the script does. Served gzipped with embed.js's headers.
 */
export const FLOOR_JS = `(function(){var s=document.currentScript,h=document.createElement('groundswell-banner'),r=h.attachShadow({mode:'open'});r.innerHTML=${JSON.stringify(`<div style="padding:12px 16px;font:15px/1.4 system-ui,sans-serif"><h2 style="margin:0;font-size:18px">${HEADLINE}</h2><p style="margin:4px 0 0">${MESSAGE}</p></div>`)};s.parentNode.insertBefore(h,s);})();`;

/** A server of its own for FLOOR_JS (another origin, as the app is to the host pages). */
export function startFloorScript() {
  const gz = gzipSync(FLOOR_JS, { level: 9 });
  return startBare((req, res) => {
    if (req.url !== '/floor.js') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'content-encoding': 'gzip',
      'content-length': gz.length,
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      'cache-control': 'public, max-age=300',
    });
    res.end(gz);
  });
}

/** The pages compared, on a server of their own: the README's snippet loading `embed.js` from
 * the app at `appUrl` (/widget.html), the banner's text as a plain <div> (/plain.html) and, with
 * `floorUrl`, the smallest script doing the same from another server (/floor.html), also as a
 * parser-blocking script (/floor-blocking.html). */
export function startHostPages(appUrl: string, floorUrl?: string) {
  const pages: Record<string, string> = {
    '/widget.html': hostPage(`<script src="${appUrl}/embed.js" data-campaign="bench-widget" async></script>`),
    '/plain.html': hostPage(staticBanner()),
  };
  if (floorUrl) {
    pages['/floor.html'] = hostPage(`<script src="${floorUrl}/floor.js" async></script>`);
    pages['/floor-blocking.html'] = hostPage(`<script src="${floorUrl}/floor.js"></script>`);
  }
  return startBare((req, res) => {
    const page = pages[req.url ?? ''];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ?? 'not found');
  });
}
