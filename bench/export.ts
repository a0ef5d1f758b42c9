/**
 * `npx tsx bench/export.ts [--rows 1000000]`: is export/import memory flat? Generates N gifts
 * and N payments in a fresh PostgreSQL database (TEST_DATABASE_URL, as for the test suites),
 * then exports and imports them in child processes of their own at N/10 and at N, and reports
 * each child's peak RSS, time and throughput. Flat memory means the peak at N is about the peak
 * at N/10, while the file is ten times larger. (PostgreSQL rather than PGlite, so that the
 * database's own cache is not in the measured process.)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { exportToFile } from '../server/backup/export.js';
import { importFile } from '../server/backup/import.js';

const MODE = { mode: 'test', stripe: 'emulator' } as const;

/** Runs in the child: one export or import, then prints its figures as JSON. */
async function child(kind: 'export' | 'import', url: string, file: string) {
  let peak = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const handle = await connect({ databaseUrl: url, dataDir: '' });
  try {
    if (kind === 'export') {
      await migrateToLatest(handle.db);
      await exportToFile(handle.db, file, { ...MODE, withCredentials: false, database: 'postgres', now: new Date() });
    } else {
      await importFile(handle.db, file, { target: MODE, allowTestData: false });
    }
  } finally {
    await handle.close();
  }
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1000;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ seconds, peakRss: Math.max(peak, maxRss) }));
}

async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gs_bench_export_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** N gifts and their N payments, shaped like real ones (names, e-mails, Stripe ids). */
async function generate(url: string, rows: number) {
  const handle = await connect({ databaseUrl: url, dataDir: '' });
  try {
    await migrateToLatest(handle.db);
    const db = handle.db;
    await sql`insert into campaigns (slug, title, headline, message, currency, goal, starts_at, ends_at, presets)
      values ('bench', 'Bench', 'Headline', 'Message', 'USD', 100000000, '2026-01-01', '2027-01-01', '[1000,2500]')`.execute(db);
    const step = 100_000;
    for (let from = 1; from <= rows; from += step) {
      const to = Math.min(rows, from + step - 1);
      await sql`insert into gifts (id, campaign_id, source, frequency, currency, amount, charge_amount, status, name, email,
          comment, checkout_session_id, payment_intent_id, customer_id, created_at, updated_at)
        select gen_random_uuid(), 1, 'stripe', 'once', 'USD', 2500 + i % 1000, 2500 + i % 1000, 'paid', 'Donor ' || i,
          'donor' || i || '@example.org', 'Keep independent media alive!', 'cs_bench_' || i, 'pi_bench_' || i, 'cus_bench_' || i,
          timestamptz '2026-06-01' + i * interval '1 second', timestamptz '2026-06-01' + i * interval '1 second'
        from generate_series(${from}::int, ${to}::int) i`.execute(db);
    }
    await sql`insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at,
        in_window, donor_key, applied_raised, applied_donation)
      select id, 1, payment_intent_id, 'one_time', payment_intent_id, 'USD', amount, created_at, created_at, true, email, amount, 1
      from gifts`.execute(db);
  } finally {
    await handle.close();
  }
}

function run(kind: 'export' | 'import', url: string, file: string): { seconds: number; peakRss: number } {
  const tsx = path.resolve(import.meta.dirname, '../node_modules/.bin/tsx');
  const r = spawnSync(tsx, [fileURLToPath(import.meta.url), '--child', kind, url, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${kind} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

const MB = 1024 * 1024;

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1] as 'export' | 'import', argv[2]!, argv[3]!);
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    console.error('bench/export.ts needs TEST_DATABASE_URL (a PostgreSQL server it may create databases on)');
    process.exit(1);
  }
  const at = argv.indexOf('--rows');
  const rows = at >= 0 ? Number(argv[at + 1]) : 1_000_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'gs-bench-export-'));
  const results: string[] = [];
  try {
    for (const n of [Math.round(rows / 10), rows]) {
      const source = await createDatabase(adminUrl);
      const target = await createDatabase(adminUrl);
      try {
        const t0 = performance.now();
        await generate(source.url, n);
        const generated = (performance.now() - t0) / 1000;
        const file = path.join(dir, `export-${n}.jsonl`);
        const ex = run('export', source.url, file);
        const size = statSync(file).size;
        const im = run('import', target.url, file);
        results.push(
          `${String(n).padStart(9)} gifts + payments | file ${(size / MB).toFixed(0).padStart(5)} MB | ` +
            `export ${ex.seconds.toFixed(1).padStart(6)} s, ${Math.round((2 * n) / ex.seconds)
              .toLocaleString('en')
              .padStart(7)} rows/s, peak RSS ${(ex.peakRss / MB).toFixed(0).padStart(4)} MB | ` +
            `import ${im.seconds.toFixed(1).padStart(6)} s, ${Math.round((2 * n) / im.seconds)
              .toLocaleString('en')
              .padStart(7)} rows/s, peak RSS ${(im.peakRss / MB).toFixed(0).padStart(4)} MB ` +
            `(generated in ${generated.toFixed(0)} s)`,
        );
        console.log(results.at(-1));
        rmSync(file, { force: true });
      } finally {
        await source.drop();
        await target.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
