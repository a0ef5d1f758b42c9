import { type LoadResult, loadGet, which } from './load.js';
import type { Section } from './run.js';
import { seedCampaign, startApp, startBare } from './servers.js';

/**
 * SPEC §8: GET /api/campaigns/:slug (the progress JSON every banner asks for) of the real app,
 * against a bare node:http server answering the same bytes. Both run in this process, one at a
 * time, loaded by the same client in a child process. Two interleaved rounds per side (A B A B)
 * so that a noisy moment on the 2-core machine lands on both sides rather than one.
 */
const CONNECTIONS = 32;
const WARMUP_S = 2;
const ROUND_S = 5;

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

    bare = await startBare((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    });
    const bareUrl = `${bare.url}/api/campaigns/bench-progress`;

    await loadGet(url, CONNECTIONS, WARMUP_S);
    await loadGet(bareUrl, CONNECTIONS, WARMUP_S);
    const appRuns: LoadResult[] = [];
    const bareRuns: LoadResult[] = [];
    for (let round = 0; round < 2; round++) {
      appRuns.push(await loadGet(url, CONNECTIONS, ROUND_S));
      bareRuns.push(await loadGet(bareUrl, CONNECTIONS, ROUND_S));
    }
    const mean = (runs: LoadResult[], k: 'perSecond' | 'p50Ms' | 'p99Ms') => runs.reduce((a, r) => a + r[k], 0) / runs.length;
    const errors = [...appRuns, ...bareRuns].reduce((a, r) => a + r.errors, 0);
    if (errors) section.notes.push(`${errors} non-2xx responses or socket errors during the load: the figures are suspect.`);
    section.rows.push(
      {
        metric: 'requests/s',
        unit: 'req/s',
        value: mean(appRuns, 'perSecond'),
        baseline: mean(bareRuns, 'perSecond'),
        baselineLabel: 'bare node:http',
        better: 'higher',
      },
      {
        metric: 'latency p50',
        unit: 'ms',
        value: mean(appRuns, 'p50Ms'),
        baseline: mean(bareRuns, 'p50Ms'),
        baselineLabel: 'bare node:http',
        better: 'lower',
      },
      {
        metric: 'latency p99',
        unit: 'ms',
        value: mean(appRuns, 'p99Ms'),
        baseline: mean(bareRuns, 'p99Ms'),
        baselineLabel: 'bare node:http',
        better: 'lower',
      },
    );
    section.details = {
      database: kind,
      bodyBytes: body.length,
      connections: CONNECTIONS,
      roundSeconds: ROUND_S,
      app: appRuns,
      bare: bareRuns,
    };
    return section;
  } finally {
    await bare?.stop();
    await app.stop();
  }
}
