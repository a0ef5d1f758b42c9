/**
 * Where the widget's first banner paint goes: the bench's two host pages (bench/widget.ts), each
 * loaded cold with a Chromium trace, and the renderer main thread's work printed on one time line
 * (ms from navigation start). Not a measurement of record (tracing slows the page); for looking.
 *
 *   npx tsx bench/paint-probe.ts [loads=3]
 */
import { startPaintServers } from './paint-server.js';

interface Ev {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { data?: Record<string, unknown>; name?: string; [k: string]: unknown };
}

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'v8',
  'v8.execute',
  'blink',
  'blink.user_timing',
  'loading',
  'toplevel',
];

async function main() {
  const loads = Number(process.argv[2] ?? 3);
  const trace = process.argv[3] !== 'light';
  const { chromium } = await import('playwright-core');
  // The servers in a process of their own, as in bench/widget.ts.
  const servers = await startPaintServers();
  const host = { url: servers.hostUrl };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  try {
    for (let i = 0; i < loads + 1; i++) {
      for (const name of ['widget', 'plain'] as const) {
        const context = await browser.newContext();
        const page = await context.newPage();
        if (!trace) {
          await page.addInitScript(() => {
            const w = window as unknown as { __gsLong: number[][] };
            w.__gsLong = [];
            try {
              new PerformanceObserver((l) => {
                for (const e of l.getEntries()) w.__gsLong.push([e.startTime, e.duration]);
              }).observe({ type: 'longtask', buffered: true });
            } catch {}
          });
        }
        if (trace) await browser.startTracing(page, { categories: CATEGORIES });
        await page.goto(`${host.url}/${name}.html`, { waitUntil: 'domcontentloaded' });
        const t = await page.evaluate(() => (window as unknown as { __gsPaint: Promise<{ found: number; frame: number }> }).__gsPaint);
        await page.waitForTimeout(300);
        if (!trace) {
          const info = await page.evaluate(() => {
            const r = performance
              .getEntriesByType('resource')
              .filter((e) => e.name.includes('embed.js'))
              .map((e) => [e.startTime, (e as PerformanceResourceTiming).responseEnd]);
            const p = performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]);
            const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
            return {
              origin: performance.timeOrigin,
              r,
              p,
              long: (window as unknown as { __gsLong: number[][] }).__gsLong,
              resp: n.responseEnd,
              dcl: n.domContentLoadedEventStart,
            };
          });
          await context.close();
          if (i === 0) continue;
          const f = (x: number) => x.toFixed(0);
          console.log(`  nav at ${(info.origin % 100000).toFixed(0)}`);
          console.log(
            name.padEnd(6),
            'found',
            f(t.found),
            'frame',
            f(t.frame),
            'html',
            f(info.resp),
            'dcl',
            f(info.dcl),
            'js',
            info.r.map((x) => x.map(f).join('-')).join(','),
            'paint',
            info.p.map((x) => `${x[0]}=${f(x[1] as number)}`).join(' '),
            'long',
            info.long.map((x) => `${f(x[0]!)}+${f(x[1]!)}`).join(' '),
          );
          continue;
        }
        const buf = await browser.stopTracing();
        await context.close();
        if (i === 0) continue; // warm-up of the browser process
        report(name, t, JSON.parse(buf.toString('utf8')).traceEvents as Ev[]);
      }
    }
  } finally {
    await browser.close();
    await servers.stop();
  }
}

function report(name: string, t: { found: number; frame: number }, evs: Ev[]) {
  const nav = evs.find(
    (e) => e.name === 'navigationStart' && e.args?.data && (e.args.data as { isLoadingMainFrame?: boolean }).isLoadingMainFrame,
  );
  const nav0 = nav ?? evs.find((e) => e.name === 'navigationStart');
  if (!nav0) {
    console.log(name, 'no navigationStart');
    return;
  }
  const t0 = nav0.ts;
  const main = evs.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === nav0.pid);
  const tid = main?.tid ?? nav0.tid;
  const ms = (ts: number) => ((ts - t0) / 1000).toFixed(1).padStart(7);
  console.log(`\n=== ${name}: found ${t.found.toFixed(1)} frame ${t.frame.toFixed(1)} (page clock)`);
  const net = evs.filter((e) => /^Resource(SendRequest|ReceiveResponse|Finish)$/.test(e.name));
  const urls = new Map<string, string>();
  for (const e of net) {
    const d = e.args?.data as { requestId?: string; url?: string } | undefined;
    if (d?.url && d.requestId) urls.set(d.requestId, d.url);
  }
  for (const e of net) {
    const d = e.args?.data as { requestId?: string; url?: string } | undefined;
    const url = urls.get(d?.requestId ?? '') ?? '';
    console.log(`${ms(e.ts)}  net ${e.name} ${url.replace(/^https?:\/\/[^/]+/, '')}`);
  }
  const marks = evs.filter((e) =>
    /^(firstPaint|firstContentfulPaint|firstMeaningfulPaint|domContentLoadedEventStart|loadEventStart|MarkDOMContent|MarkLoad)$/.test(
      e.name,
    ),
  );
  for (const e of marks) console.log(`${ms(e.ts)}  mark ${e.name}`);
  const top = evs
    .filter((e) => e.pid === nav0.pid && e.tid === tid && e.ph === 'X' && (e.dur ?? 0) >= 500 && e.ts >= t0)
    .filter((e) =>
      /^(ParseHTML|EvaluateScript|v8\.compile|v8\.run|FunctionCall|TimerFire|FireAnimationFrame|Layout|UpdateLayoutTree|Paint|PrePaint|Commit|RunTask|ThreadControllerImpl::RunTask|V8\.GC.*|MajorGC|MinorGC|v8\.parseOnBackground|V8\.CompileCode|V8\.ScriptCompiler|v8\.compileModule|CompileScript|EventDispatch|RecalculateStyles|ScheduleStyleRecalculation|HitTest|ParseAuthorStyleSheet|BeginMainThreadFrame|UpdateLifecycle|LocalFrameView::RunPostLifecycleSteps|.*Intl.*|.*ICU.*)$/.test(
        e.name,
      ),
    );
  for (const e of top) {
    const d = e.args?.data as { url?: string; functionName?: string } | undefined;
    const extra = d?.url ? ` ${String(d.url).replace(/^https?:\/\/[^/]+/, '')}` : d?.functionName ? ` ${d.functionName}` : '';
    console.log(`${ms(e.ts)}  +${((e.dur ?? 0) / 1000).toFixed(1).padStart(6)}  ${e.name}${extra}`);
  }
}

await main();
