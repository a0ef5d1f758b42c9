/**
 * Where a webhook's time goes (issue 12): the real app over HTTP on real PostgreSQL, the same
 * signed checkout.session.completed events as bench/webhooks.ts, with every pg query counted and
 * timed in-process (no server settings touched), the Node process's CPU per event, and the
 * load generator's own ceiling against a bare node:http server that reads the body and answers
 * 200 (the client must not be the bottleneck).
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/webhook-profile.ts [events]
 *
 * With WEBHOOK_CPU_PROFILE=file.cpuprofile, a V8 CPU profile of the measured phase only (open it
 * in Chrome DevTools' Performance panel or VS Code).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type ReplayFile, replay, signedRequests } from './load.js';
import { insertPendingGifts, startApp, startBare } from './servers.js';

const EVENTS = Number(process.argv[2] ?? 1500);
const CONCURRENCY = 16;

interface Stat {
  n: number;
  ms: number;
}
const stats = new Map<string, Stat>();
let counting = false;
// Every query a pooled client sends, keyed by its first words: round trips and their wall time.
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (!counting) return (original as (...a: unknown[]) => unknown).apply(this, args);
  const q = args[0] as string | { text: string };
  const text = (typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').trim();
  const key = text.slice(0, 70);
  const t = performance.now();
  const done = () => {
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t;
    stats.set(key, s);
  };
  const r = (original as (...a: unknown[]) => unknown).apply(this, args);
  if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
  return r;
} as typeof pg.Client.prototype.query;

const { signPayload } = await import('../tests/helpers/app.js');
const { makeCampaign } = await import('../tests/helpers/factories.js');
const { checkoutSession, event, sid } = await import('../tests/helpers/events.js');
const { committerOf } = await import('../server/webhooks/group-commit.js');

const dir = mkdtempSync(path.join(tmpdir(), 'gs-prof-'));
const app = await startApp('postgres');
try {
  const now = Date.now();
  const campaign = await makeCampaign(app.ctx.db, {
    slug: 'bench-webhooks',
    startsAt: new Date(now - 86_400_000),
    endsAt: new Date(now + 30 * 86_400_000),
  });
  const gifts = Array.from({ length: EVENTS + 300 }, (_, i) => ({
    id: randomUUID(),
    amount: 1000 + 500 * (i % 9),
    email: `donor-${i}@example.org`,
  }));
  await insertPendingGifts(
    app.ctx.db,
    gifts.map((g) => ({ ...g, campaignId: campaign.id })),
  );
  const file = (name: string, list: typeof gifts, base: string) => {
    const created = Math.floor(Date.now() / 1000);
    const requests = signedRequests(
      list.map((g) =>
        event('checkout.session.completed', checkoutSession({ ...g, campaignSlug: campaign.slug }, { paymentIntent: sid('pi') }), created),
      ),
      signPayload,
    );
    const f = path.join(dir, `${name}.json`);
    writeFileSync(f, JSON.stringify({ base, requests } satisfies ReplayFile));
    return f;
  };

  // The client's ceiling: same requests, a server that reads the body and answers a small JSON.
  const bare = await startBare((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"received":true,"outcome":"processed"}');
    });
  });
  const bareRun = await replay(file('bare', gifts.slice(300), bare.url), CONCURRENCY, 300_000);
  await bare.stop();

  await replay(file('warmup', gifts.slice(0, 300), app.url), CONCURRENCY, 300_000);
  const f = file('run', gifts.slice(300), app.url);
  const g0 = { ...(committerOf(app.ctx.db)?.stats ?? { groups: 0, events: 0, largest: 0, isolations: 0, together: 0, sequential: 0 }) };
  const profileTo = process.env.WEBHOOK_CPU_PROFILE;
  const inspector = profileTo ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await replay(f, CONCURRENCY, 300_000);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  counting = false;
  if (inspector && profileTo) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(profileTo, JSON.stringify(profile));
    inspector.disconnect();
  }
  const g1 = committerOf(app.ctx.db)!.stats;
  const groups = g1.groups - g0.groups;
  const events = g1.events - g0.events;
  console.log(`bare node:http, same client: ${bareRun.perSecond.toFixed(0)} req/s (p50 ${bareRun.p50Ms.toFixed(1)} ms)`);
  console.log(
    `app: ${r.perSecond.toFixed(0)} events/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, errors ${r.errors}, statuses ${JSON.stringify(r.statuses)}`,
  );
  console.log(
    `node CPU: ${((cpu.user + cpu.system) / 1000 / EVENTS).toFixed(2)} ms/event (user ${(cpu.user / 1000 / EVENTS).toFixed(2)}), ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)}% of one core over ${(wall / 1000).toFixed(1)} s`,
  );
  console.log(
    `groups: ${groups} for ${events} events (mean ${(events / groups).toFixed(1)}, largest ever ${g1.largest}, isolations ${g1.isolations - g0.isolations}, side by side ${g1.together - g0.together}, run again one by one ${g1.sequential - g0.sequential})`,
  );
  let total = 0;
  let totalMs = 0;
  for (const s of stats.values()) {
    total += s.n;
    totalMs += s.ms;
  }
  console.log(`round trips: ${total} = ${(total / EVENTS).toFixed(2)} per event; summed wait ${(totalMs / EVENTS).toFixed(2)} ms/event`);
  for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms))
    console.log(
      `  ${String(s.n).padStart(6)} ×  ${(s.ms / s.n).toFixed(2).padStart(7)} ms  ${(s.n / EVENTS).toFixed(2).padStart(5)}/ev  ${k}`,
    );
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
