import { type LoadResult, loadGet, median, which } from './load.js';
import type { Section } from './run.js';
import { seedCampaign, startApp, startBare } from './servers.js';

/**
 * SPEC §8, issue 12: GET /api/campaigns/:slug (the progress JSON every banner asks for) of the
 * real app, against a bare node:http server answering the same bytes (status line, headers, body)
 * with nothing else to do: its header blocks are built once, as the app's fast path builds its
 * own once per cache entry. Both run in this process, one at a time, loaded by an independent
 * client in its own process (wrk when installed), in PAIRS rounds whose order alternates (A B,
 * B A, ...) so that a noisy moment on the shared machine lands on both sides rather than one; the
 * same for the 304 answer to a matching If-None-Match.
 *
 * The ratio is the median of the per-pair ratios: a neighbour's burst that halves one 5-second
 * round moves one pair, not the figure. Beside throughput, the CPU time this process spends per
 * answered request (process.cpuUsage over the round ÷ requests): on a shared machine it moves
 * much less than req/s, since time the server is not scheduled costs it no CPU.
 */
const CONNECTIONS = 50;
const WARMUP_S = 2;
const ROUND_S = 5;
const PAIRS = Number(process.env.BENCH_PROGRESS_PAIRS ?? 4);

/** One wrk run, with the CPU time this (the server's) process spent per answered request. */
type Run = LoadResult & { cpuUsPerRequest: number };
type Key = 'perSecond' | 'p50Ms' | 'p99Ms' | 'cpuUsPerRequest';

async function measured(url: string, headers: Record<string, string>): Promise<Run> {
  const cpu = process.cpuUsage();
  const r = await loadGet(url, CONNECTIONS, ROUND_S, headers);
  const used = process.cpuUsage(cpu);
  return { ...r, cpuUsPerRequest: (used.user + used.system) / r.requests };
}

async function compare(appUrl: string, bareUrl: string, headers: Record<string, string>) {
  await loadGet(appUrl, CONNECTIONS, WARMUP_S, headers);
  await loadGet(bareUrl, CONNECTIONS, WARMUP_S, headers);
  const app: Run[] = [];
  const bare: Run[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    if (pair % 2) {
      bare.push(await measured(bareUrl, headers));
      app.push(await measured(appUrl, headers));
    } else {
      app.push(await measured(appUrl, headers));
      bare.push(await measured(bareUrl, headers));
    }
  }
  return { app, bare };
}

export async function progressSection(): Promise<Section> {
  const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
  const section: Section = {
    id: 'progress',
    title: `Progress endpoint vs bare node:http (${kind}, ${CONNECTIONS} connections, ${which('wrk') ? 'wrk' : 'node:http client; apt-get install -y wrk for wrk'})`,
    status: 'ok',
    rows: [],
    notes: [],
  };
  if (kind === 'pglite')
    section.notes.push(
      'TEST_DATABASE_URL is not set: the app runs on embedded PGlite (the endpoint is served from the progress cache either way).',
    );

  const app = await startApp(kind);
  let bare: Awaited<ReturnType<typeof startBare>> | undefined;
  try {
    await seedCampaign(app.ctx, 'bench-progress', 40);
    const url = `${app.url}/api/campaigns/bench-progress`;
    const first = await fetch(url);
    const body = Buffer.from(await first.arrayBuffer());
    if (first.status !== 200) throw new Error(`GET ${url} answered ${first.status}: ${body.toString()}`);
    const etag = first.headers.get('etag') ?? '';
    // The bare server sends what the app sends (a fixed request id stands for the app's UUID).
    const sent: Record<string, string> = {};
    first.headers.forEach((v, k) => {
      if (!['date', 'connection', 'keep-alive', 'content-length'].includes(k)) sent[k] = v;
    });
    const { 'content-type': _type, ...notModified } = sent;
    const ok = { ...sent, 'content-length': String(body.length) };
    bare = await startBare((req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, notModified);
        res.end();
      } else {
        res.writeHead(200, ok);
        res.end(body);
      }
    });
    const bareUrl = `${bare.url}/api/campaigns/bench-progress`;

    const fresh = await compare(url, bareUrl, {});
    const revalidated = await compare(url, bareUrl, { 'If-None-Match': etag });
    const errors = [fresh, revalidated].flatMap((x) => [...x.app, ...x.bare]).reduce((a, r) => a + r.errors, 0);
    if (errors) section.notes.push(`${errors} error responses or socket errors during the load: the figures are suspect.`);
    const row = (metric: string, runs: typeof fresh, k: Key) => ({
      metric,
      unit: k === 'perSecond' ? 'req/s' : k === 'cpuUsPerRequest' ? 'µs' : 'ms',
      value: median(runs.app.map((r) => r[k])),
      baseline: median(runs.bare.map((r) => r[k])),
      baselineLabel: 'bare node:http',
      // Pair by pair: each pair ran back to back, so their ratio is what the machine's noise moves least.
      ratio: median(runs.app.map((r, i) => r[k] / runs.bare[i]![k])),
      better: (k === 'perSecond' ? 'higher' : 'lower') as 'higher' | 'lower',
    });
    section.rows.push(
      row('200 requests/s', fresh, 'perSecond'),
      row('200 latency p50', fresh, 'p50Ms'),
      row('200 latency p99', fresh, 'p99Ms'),
      row('200 CPU per request', fresh, 'cpuUsPerRequest'),
      row('304 requests/s', revalidated, 'perSecond'),
      row('304 latency p99', revalidated, 'p99Ms'),
      row('304 CPU per request', revalidated, 'cpuUsPerRequest'),
    );
    const per = (runs: typeof fresh, k: Key) => runs.app.map((r, i) => (r[k] / runs.bare[i]![k]).toFixed(2)).join(', ');
    section.notes.push(
      `per-pair req/s ratios: 200 ${per(fresh, 'perSecond')}; 304 ${per(revalidated, 'perSecond')} (the table gives their medians).`,
      `per-pair CPU-per-request ratios: 200 ${per(fresh, 'cpuUsPerRequest')}; 304 ${per(revalidated, 'cpuUsPerRequest')}.`,
    );
    section.details = {
      database: kind,
      bodyBytes: body.length,
      connections: CONNECTIONS,
      roundSeconds: ROUND_S,
      pairs: PAIRS,
      ok: fresh,
      revalidated,
    };
    return section;
  } finally {
    await bare?.stop();
    await app.stop();
  }
}
