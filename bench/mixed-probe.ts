/**
 * December 31 mixed-load probe: a webhook storm and read traffic on ONE app instance on real
 * PostgreSQL, each measured alone and then together in the same run (the benches measure each hot
 * path alone). Not part of `npm run bench`; for looking.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/mixed-probe.ts
 *
 * The app runs in this process (a real-time clock, 8 open campaigns, like the embed-fold finding);
 * wrk and the webhook replayer (bench/load.ts) are child processes. Besides throughput and p99 it
 * samples this process's event-loop delay, the pg pool's waiting clients, and how often the
 * progress cache loads from the database vs how often a load is kept.
 * Env: MIXED_SECONDS (wrk duration, default 8), MIXED_CONN (wrk connections, default 50),
 * MIXED_VIEWERS (SSE viewers during one extra mixed phase, default 0), MIXED_READS (comma-separated
 * read names to run, default all), MIXED_PROFILE (read names whose mixed phase is CPU-profiled).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent as HttpAgent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProgressCache } from '../server/campaigns/progress-cache.js';
import { serveApp } from '../server/lib/serve.js';
import { createTestContext, signPayload } from '../tests/helpers/app.js';
import { checkoutSession, event, sid } from '../tests/helpers/events.js';
import { makeCampaign } from '../tests/helpers/factories.js';
import { type LoadResult, type ReplayFile, type ReplayResult, loadGet, replay, signedRequests } from './load.js';
import { insertPendingGifts } from './servers.js';

if (!process.env.TEST_DATABASE_URL) {
  console.error('set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres');
  process.exit(2);
}
const SECONDS = Number(process.env.MIXED_SECONDS ?? 8);
const CONN = Number(process.env.MIXED_CONN ?? 50);
const VIEWERS = Number(process.env.MIXED_VIEWERS ?? 0);
const CAMPAIGNS = 8;
const IN_FLIGHT = 16;
const POOL_GIFTS = 40_000;

// ---- instrumentation: progress cache loads (private `load`, patched on the prototype) ----
const cacheStats = { loads: 0, kept: 0, gets: 0, invalidations: 0 };
{
  const proto = ProgressCache.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const load = proto.load!;
  proto.load = async function (this: { bySlug: Map<string, unknown> }, ...a: unknown[]) {
    cacheStats.loads++;
    const r = await load.apply(this, a);
    if (this.bySlug.get(a[0] as string) === r) cacheStats.kept++;
    return r;
  };
  const invalidate = (proto as unknown as Record<string, (...a: unknown[]) => unknown>).invalidate!;
  (proto as unknown as Record<string, unknown>).invalidate = function (this: unknown, ...a: unknown[]) {
    cacheStats.invalidations++;
    return invalidate.apply(this, a);
  };
  const get = proto.get!;
  proto.get = function (this: unknown, ...a: unknown[]) {
    cacheStats.gets++;
    return get.apply(this, a);
  };
}

// A real clock (the test helper's default is frozen, which would keep every TTL from running out).
const clock = Object.assign(() => new Date(), { now: new Date(), set() {}, advance() {} }) as never;
const ctx = await createTestContext('postgres', { clock });
const server = serveApp({
  fetch: (req: Request, env: unknown) => ctx.app.fetch(req, env as never),
  fastPath: () => ctx.app.fastPath,
  port: 0,
  hostname: '127.0.0.1',
});
if (!server.listening) await new Promise<void>((r) => server.once('listening', () => r()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dir = mkdtempSync(path.join(tmpdir(), 'gs-mixed-'));

const sample = () => {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const pool = ctx.database.pool;
  let maxWaiting = 0;
  let sumWaiting = 0;
  let n = 0;
  const t = setInterval(() => {
    const w = pool?.waitingCount ?? 0;
    maxWaiting = Math.max(maxWaiting, w);
    sumWaiting += w;
    n++;
  }, 20);
  const c0 = { ...cacheStats };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    clearInterval(t);
    h.disable();
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    return {
      loopP99Ms: h.percentile(99) / 1e6,
      loopMaxMs: h.max / 1e6,
      poolWaitAvg: n ? sumWaiting / n : 0,
      poolWaitMax: maxWaiting,
      cacheLoads: cacheStats.loads - c0.loads,
      cacheKept: cacheStats.kept - c0.kept,
      cacheGets: cacheStats.gets - c0.gets,
      invalidations: cacheStats.invalidations - c0.invalidations,
      appCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    };
  };
};

/** In-process CPU profile (this process is the app): returns a stop that prints the top self-time functions. */
async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (label: string) => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as {
      profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[] };
    };
    session.disconnect();
    writeFileSync(path.join(tmpdir(), `mixed-${label.replace(/\W+/g, '_')}.cpuprofile`), JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    for (const id of profile.samples) {
      const f = byId.get(id)!.callFrame;
      const k = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(node_modules|server|db|tests)\//, '$1/')}:${f.lineNumber + 1}`;
      self.set(k, (self.get(k) ?? 0) + 1);
    }
    const total = profile.samples.length;
    console.log(`cpu profile ${label}: top self time of ${total} samples`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${((v / total) * 100).toFixed(1)}%  ${k}`);
  };
}

try {
  const now = Date.now();
  const camps: Awaited<ReturnType<typeof makeCampaign>>[] = [];
  for (let i = 0; i < CAMPAIGNS; i++)
    camps.push(
      await makeCampaign(ctx.db, {
        slug: `yearend-${i}`,
        goal: 2_500_000,
        startsAt: new Date(now - 7 * 86_400_000),
        endsAt: new Date(now + 30 * 86_400_000 + 43_200_000),
      }),
    );
  // Pending gifts, spread over the campaigns (a year-end rush on all of them).
  const gifts = Array.from({ length: POOL_GIFTS }, (_, i) => ({
    id: randomUUID(),
    campaign: camps[i % CAMPAIGNS]!,
    amount: 1000 + 500 * (i % 9),
    email: `donor-${i}@example.org`,
  }));
  await insertPendingGifts(
    ctx.db,
    gifts.map((g) => ({ ...g, campaignId: g.campaign.id })),
  );
  let used = 0;
  let files = 0;
  const storm = (count: number): Promise<ReplayResult> => {
    const list = gifts.slice(used, used + count);
    used += count;
    if (list.length < count) throw new Error('out of pending gifts');
    const created = Math.floor(Date.now() / 1000);
    const requests = signedRequests(
      list.map((g) =>
        event(
          'checkout.session.completed',
          checkoutSession({ ...g, campaignSlug: g.campaign.slug }, { paymentIntent: sid('pi') }),
          created,
        ),
      ),
      signPayload,
    );
    const file = path.join(dir, `storm-${files++}.json`);
    writeFileSync(file, JSON.stringify({ base, requests } satisfies ReplayFile));
    return replay(file, IN_FLIGHT, 600_000);
  };

  const head = async (p: string, headers: Record<string, string> = {}) => {
    const r = await fetch(base + p, { headers });
    await r.arrayBuffer();
    return { status: r.status, etag: r.headers.get('etag') ?? '' };
  };
  const gz = { 'Accept-Encoding': 'gzip' };
  const slug = camps[0]!.slug;
  const only = (process.env.MIXED_READS ?? '').split(',').filter(Boolean);
  const allReads: [string, string, () => Promise<Record<string, string>>][] = [
    ['embed.js', '/embed.js', async () => gz],
    ['embed.js INM', '/embed.js', async () => ({ ...gz, 'If-None-Match': (await head('/embed.js', gz)).etag })],
    ['progress', `/api/campaigns/${slug}`, async () => ({})],
    ['progress INM', `/api/campaigns/${slug}`, async () => ({ 'If-None-Match': (await head(`/api/campaigns/${slug}`)).etag })],
  ];
  const reads = only.length ? allReads.filter(([n]) => only.includes(n)) : allReads;

  // Warm-up: the JIT, the pool, the caches.
  await storm(600);
  for (const [, p, h] of reads) await loadGet(base + p, CONN, 2, await h());

  const rows: Record<string, unknown>[] = [];
  const show = (r: Record<string, unknown>) => {
    rows.push(r);
    console.log(JSON.stringify(r));
  };
  const fmtLoad = (x: LoadResult) => ({ rps: Math.round(x.perSecond), p50: +x.p50Ms.toFixed(2), p99: +x.p99Ms.toFixed(2), err: x.errors });

  // Storm alone: sized to last about SECONDS.
  let stop = sample();
  const probe = await storm(2000);
  show({ phase: 'storm alone (sizing)', events: 2000, eps: Math.round(probe.perSecond), p99: +probe.p99Ms.toFixed(1), ...stop() });
  const perStorm = Math.max(1000, Math.round(probe.perSecond * SECONDS));
  stop = sample();
  const alone = await storm(perStorm);
  show({
    phase: 'storm alone',
    events: perStorm,
    eps: Math.round(alone.perSecond),
    p99: +alone.p99Ms.toFixed(1),
    errors: alone.errors,
    ...stop(),
  });

  for (const [name, p, h] of reads) {
    const headers = await h();
    stop = sample();
    const r = await loadGet(base + p, CONN, SECONDS, headers);
    show({ phase: `${name} alone`, ...fmtLoad(r), ...stop() });
  }

  const profiled = (process.env.MIXED_PROFILE ?? '').split(',').filter(Boolean);
  for (const [name, p, h] of reads) {
    const headers = await h();
    const prof = profiled.includes(name) ? await startProfile() : undefined;
    stop = sample();
    // wrk runs a little longer than the storm so that the whole storm meets the reads.
    const [s, r] = await Promise.all([storm(perStorm), loadGet(base + p, CONN, Math.ceil(SECONDS * 1.5), headers)]);
    show({
      phase: `storm + ${name}`,
      eps: Math.round(s.perSecond),
      stormP99: +s.p99Ms.toFixed(1),
      stormErr: s.errors,
      ...fmtLoad(r),
      ...stop(),
    });
    if (prof) await prof(`storm + ${name}`);
  }

  if (VIEWERS > 0) {
    const { Agent } = await import('node:http');
    const agent: HttpAgent = new Agent({ keepAlive: true, maxSockets: VIEWERS + 10 });
    const reqs: ReturnType<typeof request>[] = [];
    let frames = 0;
    for (let i = 0; i < VIEWERS; i++) {
      const rq = request(
        `${base}/api/campaigns/${camps[i % CAMPAIGNS]!.slug}/stream`,
        { agent, headers: { accept: 'text/event-stream' } },
        (res) => {
          res.on('data', () => frames++);
          res.on('error', () => {});
        },
      );
      rq.on('error', () => {});
      rq.end();
      reqs.push(rq);
    }
    await new Promise((r) => setTimeout(r, 1500));
    stop = sample();
    const f0 = frames;
    const [s, r] = await Promise.all([storm(perStorm), loadGet(`${base}/embed.js`, CONN, Math.ceil(SECONDS * 1.5), gz)]);
    show({
      phase: `storm + embed.js + ${VIEWERS} SSE`,
      eps: Math.round(s.perSecond),
      stormP99: +s.p99Ms.toFixed(1),
      ...fmtLoad(r),
      sseChunks: frames - f0,
      ...stop(),
    });
    for (const rq of reqs) rq.destroy();
    agent.destroy();
  }
  writeFileSync(path.join(tmpdir(), 'mixed-probe.last.json'), JSON.stringify(rows, null, 2));
} finally {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
