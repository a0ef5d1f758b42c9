import { type LoadResult, loadGet, which } from './load.js';
import type { Section } from './run.js';
import { seedCampaign, startApp, startBare } from './servers.js';

/**
 * SPEC §8, issue 12: GET /api/campaigns/:slug (the progress JSON every banner asks for) of the
 * real app, against a bare node:http server answering the same bytes (status line, headers, body)
 * with nothing else to do. Both run in this process, one at a time, loaded by an independent
 * client in its own process (wrk when installed). Two interleaved rounds per side (A B A B) so
 * that a noisy moment on the shared machine lands on both sides rather than one; the same for the
 * 304 answer to a matching If-None-Match.
 */
const CONNECTIONS = 50;
const WARMUP_S = 2;
const ROUND_S = 5;

type Mean = (runs: LoadResult[], k: 'perSecond' | 'p50Ms' | 'p99Ms') => number;
const mean: Mean = (runs, k) => runs.reduce((a, r) => a + r[k], 0) / runs.length;

async function compare(appUrl: string, bareUrl: string, headers: Record<string, string>) {
  await loadGet(appUrl, CONNECTIONS, WARMUP_S, headers);
  await loadGet(bareUrl, CONNECTIONS, WARMUP_S, headers);
  const app: LoadResult[] = [];
  const bare: LoadResult[] = [];
  for (let round = 0; round < 2; round++) {
    app.push(await loadGet(appUrl, CONNECTIONS, ROUND_S, headers));
    bare.push(await loadGet(bareUrl, CONNECTIONS, ROUND_S, headers));
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
    bare = await startBare((req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, notModified);
        res.end();
      } else {
        res.writeHead(200, { ...sent, 'Content-Length': body.length });
        res.end(body);
      }
    });
    const bareUrl = `${bare.url}/api/campaigns/bench-progress`;

    const ok = await compare(url, bareUrl, {});
    const revalidated = await compare(url, bareUrl, { 'If-None-Match': etag });
    const errors = [ok, revalidated].flatMap((x) => [...x.app, ...x.bare]).reduce((a, r) => a + r.errors, 0);
    if (errors) section.notes.push(`${errors} error responses or socket errors during the load: the figures are suspect.`);
    const row = (metric: string, runs: typeof ok, k: 'perSecond' | 'p50Ms' | 'p99Ms') => ({
      metric,
      unit: k === 'perSecond' ? 'req/s' : 'ms',
      value: mean(runs.app, k),
      baseline: mean(runs.bare, k),
      baselineLabel: 'bare node:http',
      better: (k === 'perSecond' ? 'higher' : 'lower') as 'higher' | 'lower',
    });
    section.rows.push(
      row('200 requests/s', ok, 'perSecond'),
      row('200 latency p50', ok, 'p50Ms'),
      row('200 latency p99', ok, 'p99Ms'),
      row('304 requests/s', revalidated, 'perSecond'),
      row('304 latency p99', revalidated, 'p99Ms'),
    );
    section.details = {
      database: kind,
      bodyBytes: body.length,
      connections: CONNECTIONS,
      roundSeconds: ROUND_S,
      ok,
      revalidated,
    };
    return section;
  } finally {
    await bare?.stop();
    await app.stop();
  }
}
