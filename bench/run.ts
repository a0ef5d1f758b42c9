/**
 * npm run bench — the measured comparisons of SPEC §8, each as a ratio against a baseline
 * measured in the same run on the same machine (2 noisy cores: absolute numbers move from run to
 * run, ratios much less). Prints a table and writes test-artifacts/bench.json.
 *
 *   npm run bench                         all sections
 *   npm run bench -- --only progress,widget
 *
 * Sections are independent: one that cannot run says why and the others go on. Real PostgreSQL
 * comes from TEST_DATABASE_URL (as for the test suites); without it the progress and widget
 * sections use embedded PGlite and the webhook section is skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { which } from './load.js';
import { progressSection } from './progress.js';
import { scaleSection } from './scale.js';
import { streamsSection } from './streams.js';
import { webhookSection } from './webhooks.js';
import { widgetSection } from './widget.js';

export interface Row {
  metric: string;
  unit: string;
  value: number;
  /** What the same measurement gives for the baseline; absent when it could not be measured. */
  baseline?: number;
  baselineLabel?: string;
  /** Which way is good: the ratio value/baseline reads accordingly. */
  better: 'higher' | 'lower';
  /** Overrides the printed value cell. */
  display?: string;
  /** Overrides value ÷ baseline: e.g. the median of per-round ratios when rounds ran in pairs. */
  ratio?: number;
}

export interface Section {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  rows: Row[];
  notes: string[];
  details?: unknown;
}

const SECTIONS: Record<string, () => Promise<Section>> = {
  progress: progressSection,
  scale: scaleSection,
  streams: streamsSection,
  webhooks: webhookSection,
  widget: widgetSection,
};

function parseOnly(argv: string[]): string[] {
  const i = argv.indexOf('--only');
  const arg = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (!arg) return Object.keys(SECTIONS);
  const ids = arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !SECTIONS[id]);
  if (unknown.length) {
    console.error(`unknown section ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  return ids;
}

const fmt = (v: number, unit: string) => {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'ms') return `${v.toFixed(v < 10 ? 2 : 1)} ms`;
  if (unit === 'B') return `${Math.round(v).toLocaleString('en')} B`;
  if (unit === 'µs') return `${v.toFixed(1)} µs`;
  return `${Math.round(v).toLocaleString('en')} ${unit}`;
};

const ratioOf = (r: Row) => r.ratio ?? (r.baseline && Number.isFinite(r.baseline) ? r.value / r.baseline : undefined);

function table(sections: Section[]): string {
  const head = ['section', 'metric', 'Groundswell', 'baseline', 'ratio'];
  const body: string[][] = [];
  for (const s of sections) {
    if (s.status !== 'ok' && !s.rows.length) body.push([s.id, s.status, '', '', '']);
    for (const r of s.rows) {
      const ratio = ratioOf(r);
      body.push([
        s.id,
        r.metric,
        r.display ?? fmt(r.value, r.unit),
        r.baseline === undefined ? '' : `${fmt(r.baseline, r.unit)} (${r.baselineLabel})`,
        ratio === undefined ? '' : `${ratio.toFixed(2)} (${r.better} is better)`,
      ]);
    }
  }
  const width = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  return [line(head), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main() {
  const ids = parseOnly(process.argv.slice(2));
  const started = Date.now();
  const env = {
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || null,
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    database: process.env.TEST_DATABASE_URL ? 'postgres (TEST_DATABASE_URL)' : 'pglite (TEST_DATABASE_URL unset)',
    wrk: which('wrk') ?? null,
    pgbench: which('pgbench') ?? null,
  };
  console.log(
    `groundswell bench: ${ids.join(', ')} · node ${env.node} · ${env.cpus} cores · load ${env.loadavg.join(' ')} · ${env.database}`,
  );
  if (!env.wrk) console.log('  wrk not found: HTTP load comes from the built-in node:http client (Debian: apt-get install -y wrk).');
  if (!env.pgbench) console.log('  pgbench not found: no webhook baseline (Debian: apt-get install -y postgresql-client).');

  const sections: Section[] = [];
  for (const id of ids) {
    const t = Date.now();
    process.stdout.write(`\n== ${id} ... `);
    let s: Section;
    try {
      s = await SECTIONS[id]!();
    } catch (err) {
      s = { id, title: id, status: 'failed', rows: [], notes: [`failed: ${(err as Error).stack ?? err}`] };
    }
    sections.push(s);
    console.log(`${s.status} in ${((Date.now() - t) / 1000).toFixed(1)} s\n   ${s.title}`);
    for (const n of s.notes) console.log(`   - ${n}`);
  }

  console.log(`\n${table(sections)}`);
  console.log(`
ratio = Groundswell ÷ baseline, both measured in this run:
  progress   req/s: share of a bare node:http server's throughput serving the same JSON bytes
             (1.0 = the framework, cache and routing cost nothing); latency: times slower.
  streams    time until every viewer has the change (a gift through the webhook route for the
             app, the write loop for the bare server) and server RSS per open stream.
  webhooks   events/s of signed checkout.session.completed over HTTP (16 in flight) ÷ pgbench tps at
             16 clients of the minimal durable transaction (event + payment + receipt mail + one totals row), and
             of the ledger's pre-group-commit statements; 10k vs 1M gifts: the same app rate on a
             database already holding 1M paid gifts ÷ holding 10k (1.0 = flat with size).
  scale      the same read, admin page, webhook or CSV export with 1M paid gifts in the database
             ÷ with 10k (1.0 = flat with size; BENCH_SCALE_SIZES=10000,1000000).
  widget     size: share of the 16 KiB (embed.js) or 150 KiB (admin) min+gzip budget (must stay <= 1.0); first paint: how many
             times longer than the same page with a plain inline <div> of the banner's text.`);

  const out = fileURLToPath(new URL('../test-artifacts/bench.json', import.meta.url));
  mkdirSync(fileURLToPath(new URL('../test-artifacts/', import.meta.url)), { recursive: true });
  const json = {
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    env,
    sections: sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, ratio: ratioOf(r) ?? null })) })),
  };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwritten: test-artifacts/bench.json · total ${json.seconds.toFixed(0)} s`);
  if (sections.some((s) => s.status === 'failed')) process.exitCode = 1;
}

await main();
