import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PUBLIC_READ_CORS, asSent } from '../server/campaigns/fast-read.js';
import { STREAM_HEADERS } from '../server/live/streams.js';
import { median } from './load.js';
import type { Row, Section } from './run.js';

/**
 * Issue 12: 10,000 live viewers. The app's event streams against a bare node:http server that
 * holds as many responses and writes the same bytes to each, every server in its own process
 * (its memory is its own) and the viewers in another (raw sockets, bench/viewers.ts).
 *  - update time: from the moment the change starts (a gift paid through the webhook route for
 *    the app; the write loop for the bare server) until the last viewer has the new event;
 *  - memory per viewer: the server's RSS after a full GC with every viewer connected, minus the
 *    same before the first one, divided by the number of viewers.
 * With TEST_DATABASE_URL the same again with the viewers split over two app instances on one
 * PostgreSQL (the gift lands on the first; the second learns of it by LISTEN/NOTIFY).
 */
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 10_000);
/** Rounds per comparison (BENCH_STREAM_ROUNDS): the machine is noisy, medians are reported. */
const ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));

interface Child {
  proc: ChildProcessWithoutNullStreams;
  next<T>(): Promise<T>;
  send(line: string): void;
  stop(): Promise<void>;
}

function child(file: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const queue: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  const exited = new Promise<void>((resolve) =>
    proc.on('exit', () => {
      for (const w of waiting.splice(0)) w(undefined);
      resolve();
    }),
  );
  return {
    proc,
    async next<T>() {
      const line = queue.shift() ?? (await new Promise<string | undefined>((r) => waiting.push(r)));
      if (line === undefined) throw new Error(`${file} ended: ${stderr.slice(-2000)}`);
      return JSON.parse(line) as T;
    },
    send: (line) => proc.stdin.write(`${line}\n`),
    async stop() {
      if (proc.exitCode === null) {
        proc.stdin.write('stop\n');
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

interface Run {
  /** From the gift's commit (its NOTIFY back on the first instance) for the app; from the start of the write loop for bare. */
  updateMs: number;
  /** App only: from the start of the gift's webhook. */
  sinceGiftMs?: number;
  p50Ms: number;
  bytesPerViewer: number;
  first: string;
  second: string;
}

/** Viewers on `servers` (the first takes the change); their update time and memory per viewer. */
async function measure(servers: Child[], urls: string[], app: boolean): Promise<Run> {
  const rss0 = await Promise.all(servers.map(async (s) => (s.send('mem'), (await s.next<{ rss: number }>()).rss)));
  const viewers = child('./viewers.ts', [String(VIEWERS), urls.join(',')]);
  try {
    const ready = await viewers.next<{ ready: number; sample: string }>();
    const rss1 = await Promise.all(servers.map(async (s) => (s.send('mem'), (await s.next<{ rss: number }>()).rss)));
    viewers.send('measure');
    servers[0]!.send('change');
    const { t0 } = await servers[0]!.next<{ t0: number }>();
    const got = await viewers.next<{ last: number; p50: number; received: number; sample: string }>();
    const from = app ? (await servers[0]!.next<{ committed: number }>()).committed : t0;
    return {
      updateMs: got.last - from,
      ...(app && { sinceGiftMs: got.last - t0 }),
      p50Ms: got.p50 - from,
      bytesPerViewer: rss1.reduce((a, r, i) => a + r - rss0[i]!, 0) / ready.ready,
      first: ready.sample,
      second: got.sample,
    };
  } finally {
    await viewers.stop();
  }
}

async function appRun(kind: 'pglite' | 'postgres', instances: 1 | 2): Promise<Run> {
  const a = child('./stream-server.ts', ['app', kind]);
  const servers = [a];
  try {
    const first = await a.next<{ url: string; database?: string }>();
    const urls = [first.url];
    if (instances === 2) {
      const b = child('./stream-server.ts', ['app', kind, first.database!]);
      servers.push(b);
      urls.push((await b.next<{ url: string }>()).url);
    }
    return await measure(servers, urls, true);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function bareRun(first: string, second: string, instances: 1 | 2): Promise<Run> {
  // The app's response head (the public surface's headers on http, a fixed request id).
  const head = [
    ...asSent([
      ['Cross-Origin-Resource-Policy', 'cross-origin'],
      ['X-Content-Type-Options', 'nosniff'],
      ...PUBLIC_READ_CORS,
      ...STREAM_HEADERS,
    ]),
    'x-request-id',
    '00000000-0000-4000-8000-000000000000',
  ];
  const servers = Array.from({ length: instances }, () =>
    child('./stream-server.ts', ['bare', JSON.stringify(head), JSON.stringify(first), JSON.stringify(second)]),
  );
  try {
    const urls = await Promise.all(servers.map(async (s) => (await s.next<{ url: string }>()).url));
    // The change is written by every bare server at once: the first is told, the others too.
    const run = await measureBare(servers, urls);
    return run;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** As measure(), but every bare server writes the change (they share no bus). */
async function measureBare(servers: Child[], urls: string[]): Promise<Run> {
  if (servers.length === 1) return measure(servers, urls, false);
  const rss0 = await Promise.all(servers.map(async (s) => (s.send('mem'), (await s.next<{ rss: number }>()).rss)));
  const viewers = child('./viewers.ts', [String(VIEWERS), urls.join(',')]);
  try {
    const ready = await viewers.next<{ ready: number; sample: string }>();
    const rss1 = await Promise.all(servers.map(async (s) => (s.send('mem'), (await s.next<{ rss: number }>()).rss)));
    viewers.send('measure');
    for (const s of servers) s.send('change');
    const t0 = Math.min(...(await Promise.all(servers.map(async (s) => (await s.next<{ t0: number }>()).t0))));
    const got = await viewers.next<{ last: number; p50: number; sample: string }>();
    return {
      updateMs: got.last - t0,
      p50Ms: got.p50 - t0,
      bytesPerViewer: rss1.reduce((a, r, i) => a + r - rss0[i]!, 0) / ready.ready,
      first: ready.sample,
      second: got.sample,
    };
  } finally {
    await viewers.stop();
  }
}

function rows(label: string, app: Run, bare: Run): Row[] {
  return [
    ...(app.sinceGiftMs === undefined
      ? []
      : [{ metric: `${label}: all updated since the webhook began`, unit: 'ms', value: app.sinceGiftMs, better: 'lower' as const }]),
    {
      metric: `${label}: all updated`,
      unit: 'ms',
      value: app.updateMs,
      baseline: bare.updateMs,
      baselineLabel: 'bare node:http',
      better: 'lower',
    },
    {
      metric: `${label}: half updated`,
      unit: 'ms',
      value: app.p50Ms,
      baseline: bare.p50Ms,
      baselineLabel: 'bare node:http',
      better: 'lower',
    },
    {
      metric: `${label}: memory/viewer`,
      unit: 'B',
      value: app.bytesPerViewer,
      baseline: bare.bytesPerViewer,
      baselineLabel: 'bare node:http',
      better: 'lower',
    },
  ];
}

/** Rounds of (app, bare) in alternating order; each figure is the median over the rounds. */
async function rounds(kind: 'pglite' | 'postgres', instances: 1 | 2): Promise<{ app: Run; bare: Run; ratios: string }> {
  const apps: Run[] = [];
  const bares: Run[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Bare writes the app's own events: the first round runs the app first to learn them.
    if (r % 2 === 0) {
      apps.push(await appRun(kind, instances));
      bares.push(await bareRun(apps[0]!.first, apps[0]!.second, instances));
    } else {
      bares.push(await bareRun(apps[0]!.first, apps[0]!.second, instances));
      apps.push(await appRun(kind, instances));
    }
  }
  const mid = (runs: Run[]): Run => ({
    ...runs[0]!,
    updateMs: median(runs.map((x) => x.updateMs)),
    p50Ms: median(runs.map((x) => x.p50Ms)),
    bytesPerViewer: median(runs.map((x) => x.bytesPerViewer)),
    ...(runs[0]!.sinceGiftMs !== undefined && { sinceGiftMs: median(runs.map((x) => x.sinceGiftMs!)) }),
  });
  const ratios = apps.map((a, i) => (a.updateMs / bares[i]!.updateMs).toFixed(2)).join(', ');
  return { app: mid(apps), bare: mid(bares), ratios };
}

export async function streamsSection(): Promise<Section> {
  const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
  const section: Section = {
    id: 'streams',
    title: `${VIEWERS.toLocaleString('en')} event-stream viewers vs bare node:http SSE (${kind}; servers and viewers in their own processes; median of ${ROUNDS} alternating rounds)`,
    status: 'ok',
    rows: [],
    notes: [],
  };
  const one = await rounds(kind, 1);
  section.rows.push(...rows('1 instance', one.app, one.bare));
  section.notes.push(`1 instance, per-round ratio of 'all updated': ${one.ratios}.`);
  const details: Record<string, unknown> = { viewers: VIEWERS, rounds: ROUNDS, one };
  if (kind === 'postgres') {
    const two = await rounds(kind, 2);
    section.rows.push(...rows('2 instances', two.app, two.bare));
    section.notes.push(`2 instances, per-round ratio of 'all updated': ${two.ratios}.`);
    details.two = two;
  } else section.notes.push('two instances need PostgreSQL: set TEST_DATABASE_URL.');
  section.notes.push(
    "'all updated' counts from the gift's commit (its NOTIFY back on the first instance) for the app, from the start of the write loop for the bare server; the app's includes the NOTIFY to every instance and one progress reload per instance. 'since the webhook began' adds paying the gift.",
    'both sides are read by the same viewer program (a process of its own): on 2 shared cores its parsing of 10,000 sockets is part of every figure.',
  );
  if (one.app.second === one.app.first) section.notes.push('the change did not alter the event: suspect.');
  section.details = details;
  return section;
}
