/**
 * Issue 12 item 5: cost flat with size. The same app on two PostgreSQL databases whose campaign
 * already holds SIZES paid gifts (each with its payment, donor row and event row, seeded by SQL
 * with generate_series; the campaign's totals row is then set to the sums of those payments, as
 * the ledger would have left it; then VACUUM ANALYZE, as autovacuum would have by then):
 *  - progress read on the miss path: the cache entry dropped (as a notification does), then
 *    GET /api/campaigns/:slug over HTTP: what a cold instance or an invalidation costs;
 *  - the admin donations list: its first page, and a page 90% deep by keyset cursor;
 *    these reads take a few milliseconds, so a neighbour's burst on the shared machine moves
 *    them more than the database's size: the two sizes are read turn about in one loop (small,
 *    large, large, small, ...), READ_ROUNDS rounds, and the figure is the median of the rounds'
 *    ratios (each round's median large ÷ median small);
 *  - the campaign dashboard (GET /api/admin/campaigns/:slug, which the donations page also loads);
 *  - webhook cost: distinct signed checkout.session.completed events POSTed by a child process;
 *  - the donations CSV export streamed over HTTP to the end, served by the real server
 *    (server/main.ts) in a child process of its own on the same database, one fresh process per
 *    size: its resident memory before the export and its peak during it (VmHWM, reset just
 *    before), so that nothing of the bench's own memory counts. The client discards the bytes.
 * Flat means the large database costs within 1.2× of the small one (memory: the peak at 1M
 * about the peak at 10k).
 *
 *   TEST_DATABASE_URL=postgres://... npm run bench -- --only scale
 *   BENCH_SCALE_SIZES=10000,100000 (default 10000,1000000)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type ReplayFile, median, replay, signedRequests } from './load.js';
import type { Row, Section } from './run.js';
import { type AppContext, insertPendingGifts, startApp } from './servers.js';

const ROUNDS = 3;
const READ_ROUNDS = 7;
const READS_PER_ROUND = 15;
const EVENTS_PER_ROUND = 150;
const WEBHOOK_CONCURRENCY = 16;
const SLUG = 'bench-scale';
const ADMIN_EMAIL = 'bench@example.org';
const ADMIN_PASSWORD = 'bench scale password';

const sizes = (process.env.BENCH_SCALE_SIZES ?? '10000,1000000').split(',').map(Number);
const fmtCount = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const now = () => performance.now();

/** `n` paid one-time gifts of the campaign over the last 60 days, each with its payment, its
 * event row and its donor; then the totals row set to what those payments apply. */
export async function seedGifts(db: AppContext['db'], campaignId: number, n: number): Promise<void> {
  const batch = 250_000;
  const spanSeconds = 60 * 86_400;
  for (let from = 1; from <= n; from += batch) {
    const to = Math.min(n, from + batch - 1);
    // Gift i was created (spanSeconds * i / n) seconds after the start of the window.
    const at = sql`now() - interval '60 days' + make_interval(secs => ${spanSeconds}::float8 * i / ${n}::float8)`;
    await sql`insert into gifts (id, campaign_id, source, frequency, currency, amount, charge_amount, status, name, email,
        comment, checkout_session_id, payment_intent_id, customer_id, received_at, created_at, updated_at)
      select md5('scale' || i)::uuid, ${campaignId}, 'stripe', 'once', 'USD', 1000 + (i % 40) * 250, 1000 + (i % 40) * 250, 'paid',
        'Donor ' || i, 'donor-' || i || '@example.org', case when i % 7 = 0 then 'For the river, gift ' || i end,
        'cs_scale_' || i, 'pi_scale_' || i, 'cus_scale_' || i, ${at}, ${at}, ${at}
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at,
        in_window, donor_key, applied_raised, applied_donation, created_at, updated_at)
      select md5('scale' || i)::uuid, ${campaignId}, 'pi_scale_' || i, 'one_time', 'pi_scale_' || i, 'USD', 1000 + (i % 40) * 250, ${at}, ${at},
        true, 'email:donor-' || i || '@example.org', 1000 + (i % 40) * 250, 1, ${at}, ${at}
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into stripe_events (id, type, created, livemode, outcome, payload)
      select 'evt_scale_' || i, 'checkout.session.completed', extract(epoch from now())::bigint, false, 'processed', jsonb_build_object('id', 'evt_scale_' || i)
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into campaign_donors (campaign_id, donor_key, payments)
      select ${campaignId}, 'email:donor-' || i || '@example.org', 1 from generate_series(${from}::int, ${to}::int) as i`.execute(db);
  }
  // The invariant the ledger keeps: the totals row is the sum of what the payments apply.
  await sql`update campaign_totals t set
      raised = s.raised, donations = s.donations, refunded = s.refunded, disputed = s.disputed,
      donors = (select count(*) from campaign_donors d where d.campaign_id = t.campaign_id and d.payments > 0),
      version = t.version + 1
    from (select coalesce(sum(applied_raised), 0) as raised, coalesce(sum(applied_donation), 0) as donations,
            coalesce(sum(applied_refunded), 0) as refunded, coalesce(sum(applied_disputed), 0) as disputed
          from payments where campaign_id = ${campaignId}) s
    where t.campaign_id = ${campaignId}`.execute(db);
  await sql`vacuum analyze`.execute(db);
  await sql`checkpoint`.execute(db);
}

interface Sized {
  n: number;
  app: Awaited<ReturnType<typeof startApp>>;
  campaignId: number;
  cookie: string;
  deepCursor: string;
  pending: { id: string; amount: number; email: string }[];
  dir: string;
}

function get(
  url: string,
  headers: Record<string, string> = {},
  onChunk?: (n: number) => void,
): Promise<{ status: number; ms: number; bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t = now();
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      const keep: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (onChunk) onChunk(d.length);
        else keep.push(d);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: now() - t, bytes, body: Buffer.concat(keep).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function prepare(n: number, dir: string): Promise<Sized> {
  const { makeCampaign } = await import('../tests/helpers/factories.js');
  const { hashPassword } = await import('../server/admin/passwords.js');
  const { sessionCookieName } = await import('../server/admin/auth.js');
  const app = await startApp('postgres');
  try {
    const db = app.ctx.db;
    const t = Date.now();
    const campaign = await makeCampaign(db, {
      slug: SLUG,
      startsAt: new Date(t - 61 * 86_400_000),
      endsAt: new Date(t + 30 * 86_400_000),
      goal: 100_000_000_000,
    });
    await seedGifts(db, campaign.id, n);
    const totals = await db.selectFrom('campaign_totals').where('campaign_id', '=', campaign.id).selectAll().executeTakeFirstOrThrow();
    if (Number(totals.donations) !== n) throw new Error(`seeded ${totals.donations} donations for ${n}`);
    // A cursor 90% of the way down the list (newest first): the page an admin reaches by paging.
    const deep = await sql<{
      ts: string;
      id: string;
    }>`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts, id
      from gifts where campaign_id = ${campaign.id} and status <> 'created' order by created_at desc, id desc offset ${Math.floor(n * 0.9)} limit 1`.execute(
      db,
    );
    const { encodeCursor } = await import('../server/admin/donations.js');
    const deepCursor = encodeCursor([deep.rows[0]!.ts, deep.rows[0]!.id]);
    await db
      .insertInto('admins')
      .values({ email: ADMIN_EMAIL, password_hash: await hashPassword(ADMIN_PASSWORD), role: 'owner' })
      .execute();
    const login = await app.ctx.app.request('/api/admin/login', {
      method: 'POST',
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      headers: { 'content-type': 'application/json' },
    });
    if (login.status !== 200) throw new Error(`admin login: ${login.status}`);
    const name = sessionCookieName(app.ctx.config);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith(`${name}=`))!;
    // Pending checkouts, one per webhook event to come (created before the clock starts).
    const pending = Array.from({ length: (ROUNDS + 1) * EVENTS_PER_ROUND }, (_, i) => ({
      id: randomUUID(),
      amount: 1000 + 500 * (i % 9),
      email: `late-${i}@example.org`,
    }));
    await insertPendingGifts(
      db,
      pending.map((g) => ({ ...g, campaignId: campaign.id })),
    );
    return { n, app, campaignId: campaign.id, cookie, deepCursor, pending, dir };
  } catch (err) {
    await app.stop();
    throw err;
  }
}

const admin = (s: Sized) => ({ cookie: s.cookie, 'sec-fetch-site': 'same-origin' });

async function expectOk(p: Promise<{ status: number; ms: number; body: string }>, what: string) {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.body.slice(0, 300)}`);
  return r.ms;
}

type Read = 'progress' | 'first' | 'deep';
const READS: Read[] = ['progress', 'first', 'deep'];

/** One read of each kind on one database: the progress read after its cache entry was dropped,
 * the donations list's first page and the page 90% deep. */
async function readOnce(s: Sized): Promise<Record<Read, number>> {
  s.app.ctx.bus.emitLocal(s.campaignId);
  return {
    progress: await expectOk(get(`${s.app.url}/api/campaigns/${SLUG}`), 'progress'),
    first: await expectOk(get(`${s.app.url}/api/admin/campaigns/${SLUG}/donations?limit=50`, admin(s)), 'donations'),
    deep: await expectOk(get(`${s.app.url}/api/admin/campaigns/${SLUG}/donations?limit=50&cursor=${s.deepCursor}`, admin(s)), 'deep page'),
  };
}

/** READS_PER_ROUND reads of each kind per database, the two databases turn about (small then
 * large, then large then small, ...): each round's medians per side. */
async function pairedReads(small: Sized, large: Sized) {
  const times = { small: { progress: [], first: [], deep: [] }, large: { progress: [], first: [], deep: [] } } as Record<
    'small' | 'large',
    Record<Read, number[]>
  >;
  for (let i = 0; i < READS_PER_ROUND; i++) {
    const order = i % 2 ? (['large', 'small'] as const) : (['small', 'large'] as const);
    for (const side of order) {
      const r = await readOnce(side === 'small' ? small : large);
      for (const k of READS) times[side][k].push(r[k]);
    }
  }
  const medians = (side: 'small' | 'large') => Object.fromEntries(READS.map((k) => [k, median(times[side][k])])) as Record<Read, number>;
  return { small: medians('small'), large: medians('large') };
}

async function dashboardReads(s: Sized) {
  const dash: number[] = [];
  for (let i = 0; i < 5; i++) {
    dash.push(await expectOk(get(`${s.app.url}/api/admin/campaigns/${SLUG}`, admin(s)), 'dashboard'));
  }
  return { dashboard: median(dash) };
}

async function webhooks(s: Sized, round: number): Promise<number> {
  const { signPayload } = await import('../tests/helpers/app.js');
  const { checkoutSession, event, sid } = await import('../tests/helpers/events.js');
  const list = s.pending.slice(round * EVENTS_PER_ROUND, (round + 1) * EVENTS_PER_ROUND);
  const created = Math.floor(Date.now() / 1000);
  const requests = signedRequests(
    list.map((g) =>
      event('checkout.session.completed', checkoutSession({ ...g, campaignSlug: SLUG }, { paymentIntent: sid('pi') }), created),
    ),
    signPayload,
  );
  const file = path.join(s.dir, `scale-${s.n}-${round}.json`);
  writeFileSync(file, JSON.stringify({ base: s.app.url, requests } satisfies ReplayFile));
  const r = await replay(file, WEBHOOK_CONCURRENCY, 300_000);
  if (r.errors) throw new Error(`webhooks: ${r.errors} errors ${JSON.stringify(r.statuses)}`);
  return r.perSecond;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** VmRSS or VmHWM (peak) of a process, in bytes (Linux /proc). */
function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]) * 1024;
}

/** The real server (server/main.ts) on this size's database, in a child process of its own. */
async function startServerProcess(s: Sized) {
  const url = s.app.ctx.database.url;
  if (!url) throw new Error('the scale databases are PostgreSQL');
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'warn', STRIPE_EMULATOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${out}`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\(port (\d+);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGTERM');
    throw err;
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    // Signed in on this server, now: the export wants a password entered in the last 10 minutes.
    const login = await fetch(`${base}/api/admin/login`, {
      method: 'POST',
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      headers: { 'content-type': 'application/json' },
    });
    if (login.status !== 200) throw new Error(`admin login on the server process: ${login.status} ${await login.text()}`);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    return { pid: child.pid!, base, headers: { cookie, 'sec-fetch-site': 'same-origin' }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The whole donations CSV over HTTP from a fresh server process: its RSS before, its peak
 * during the export, and the peak up to each tenth of the bytes (a leak grows with them; flat
 * memory levels off). */
async function csvExport(s: Sized, expectedBytes: number) {
  const server = await startServerProcess(s);
  try {
    // Let start-up's work (demo seed, workers' first polls) finish, then reset the peak.
    await new Promise((r) => setTimeout(r, 2000));
    const before = procMemory(server.pid, 'VmRSS');
    writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
    let bytes = 0;
    const tenths: number[] = [];
    const sample = setInterval(() => {
      const tenth = Math.min(9, Math.floor((bytes / expectedBytes) * 10));
      tenths[tenth] = procMemory(server.pid, 'VmHWM');
    }, 20);
    try {
      const r = await get(`${server.base}/api/admin/campaigns/${SLUG}/donations.csv`, server.headers, (n) => {
        bytes += n;
      });
      if (r.status !== 200) throw new Error(`csv: ${r.status}`);
      return { ms: r.ms, bytes: r.bytes, before, peak: procMemory(server.pid, 'VmHWM'), tenths };
    } finally {
      clearInterval(sample);
    }
  } finally {
    await server.stop();
  }
}

export async function scaleSection(): Promise<Section> {
  const [smallN, largeN] = sizes as [number, number];
  const section: Section = {
    id: 'scale',
    title: `Cost with ${fmtCount(largeN)} vs ${fmtCount(smallN)} paid gifts in the database (PostgreSQL; reads: median of ${READ_ROUNDS} rounds' ratios; dashboard and webhooks: ${ROUNDS} alternating rounds, medians)`,
    status: 'ok',
    rows: [],
    notes: [],
  };
  if (!process.env.TEST_DATABASE_URL) {
    section.status = 'skipped';
    section.notes.push('needs real PostgreSQL: set TEST_DATABASE_URL.');
    return section;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gs-bench-scale-'));
  const open: Sized[] = [];
  try {
    const seedStart = Date.now();
    const small = await prepare(smallN, dir);
    open.push(small);
    const large = await prepare(largeN, dir);
    open.push(large);
    section.notes.push(`seeded both databases in ${((Date.now() - seedStart) / 1000).toFixed(0)} s.`);
    // The first reads, before any warm-up: the deep page's rows are not in PostgreSQL's cache yet.
    const firstDeep = { small: (await readOnce(small)).deep, large: (await readOnce(large)).deep };
    // Warm both (connections, plans, the JIT): one round not counted.
    await pairedReads(small, large);
    const reads: Awaited<ReturnType<typeof pairedReads>>[] = [];
    for (let r = 0; r < READ_ROUNDS; r++) reads.push(await pairedReads(small, large));
    for (const s of [small, large]) {
      await dashboardReads(s);
      await webhooks(s, ROUNDS);
    }
    type R = { dashboard: number; webhooks: number };
    const rounds: { small: R; large: R }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const one = async (s: Sized): Promise<R> => ({
        ...(await dashboardReads(s)),
        webhooks: await webhooks(s, r),
      });
      // Alternate which side goes first: a neighbour's burst should not always land on one side.
      if (r % 2) {
        const l = await one(large);
        rounds.push({ small: await one(small), large: l });
      } else {
        const sm = await one(small);
        rounds.push({ small: sm, large: await one(large) });
      }
    }
    const small1 = await csvExport(small, 1);
    const csv = { small: small1, large: await csvExport(large, (small1.bytes / smallN) * largeN) };
    const m = (side: 'small' | 'large', k: keyof R) => median(rounds.map((x) => x[side][k]));
    const per = (k: keyof R) => rounds.map((x) => (x.large[k] / x.small[k]).toFixed(2)).join(', ');
    const label = `${fmtCount(smallN)} gifts`;
    const readRow = (metric: string, k: Read): Row => ({
      metric: `${metric} at ${fmtCount(largeN)}`,
      unit: 'ms',
      value: median(reads.map((x) => x.large[k])),
      baseline: median(reads.map((x) => x.small[k])),
      baselineLabel: label,
      ratio: median(reads.map((x) => x.large[k] / x.small[k])),
      better: 'lower',
    });
    const row = (metric: string, k: keyof R, better: Row['better'], unit = 'ms'): Row => ({
      metric: `${metric} at ${fmtCount(largeN)}`,
      unit,
      value: m('large', k),
      baseline: m('small', k),
      baselineLabel: label,
      better,
    });
    section.rows.push(
      readRow('progress read, cache miss', 'progress'),
      readRow('admin donations, first page', 'first'),
      readRow('admin donations, page 90% deep', 'deep'),
      row('admin campaign dashboard', 'dashboard', 'lower'),
      row('webhook events/s', 'webhooks', 'higher', '/s'),
      {
        metric: `donations CSV peak RSS at ${fmtCount(largeN)}`,
        unit: 'B',
        value: csv.large.peak,
        baseline: csv.small.peak,
        baselineLabel: label,
        better: 'lower',
      },
      {
        metric: `donations CSV rows/s at ${fmtCount(largeN)}`,
        unit: '/s',
        value: largeN / (csv.large.ms / 1000),
        baseline: smallN / (csv.small.ms / 1000),
        baselineLabel: label,
        better: 'higher',
      },
    );
    for (const k of READS)
      section.notes.push(
        `per-round ${k} ratio (median of ${READS_PER_ROUND} reads per side, sides turn about): ${reads.map((x) => (x.large[k] / x.small[k]).toFixed(2)).join(', ')}.`,
      );
    for (const k of ['dashboard', 'webhooks'] as const) section.notes.push(`per-round ${k} ratio: ${per(k)}.`);
    section.notes.push(
      `first deep-page read, before any warm-up: ${firstDeep.large.toFixed(1)} ms at ${fmtCount(largeN)}, ${firstDeep.small.toFixed(1)} ms at ${fmtCount(smallN)}.`,
      `CSV: ${fmtCount(largeN)} rows ${(csv.large.bytes / 1e6).toFixed(0)} MB in ${(csv.large.ms / 1000).toFixed(1)} s, server RSS ${(csv.large.before / 1e6).toFixed(0)} → peak ${(csv.large.peak / 1e6).toFixed(0)} MB; ${fmtCount(smallN)}: ${(csv.small.bytes / 1e6).toFixed(1)} MB, RSS ${(csv.small.before / 1e6).toFixed(0)} → ${(csv.small.peak / 1e6).toFixed(0)} MB (server/main.ts in a child process per size).`,
      `CSV at ${fmtCount(largeN)}: peak RSS by tenth of the file ${csv.large.tenths.map((x) => (x / 1e6).toFixed(0)).join(', ')} MB.`,
    );
    section.details = { reads, firstDeep, rounds, csv };
    return section;
  } finally {
    for (const s of open) await s.app.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
