/**
 * Load generation, always in a child process so that the client never shares an event loop (or
 * a core's time slices, as far as two cores allow) with the server it measures.
 *
 *  - loadGet(): a fixed-duration GET load with N keep-alive connections. `wrk` (Debian package
 *    wrk) when installed; otherwise this file run as a child: a small node:http client.
 *  - replay(): sends a prepared list of requests (signed webhooks) with N in flight until the
 *    list is done. Always this file as a child: wrk cannot send a different signed body each time
 *    without a Lua script doing the HMAC.
 *
 * As a CLI (what the child runs):
 *   tsx bench/load.ts get <url> <connections> <seconds>
 *   tsx bench/load.ts replay <file.json> <connections>
 * and it prints one JSON line on stdout.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface LoadResult {
  client: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx plus socket errors: a load result with errors measures failure speed. */
  errors: number;
}

export interface ReplayFile {
  base: string;
  requests: { method: string; path: string; headers: Record<string, string>; body: string }[];
}

export interface ReplayResult extends LoadResult {
  statuses: Record<string, number>;
}

/** Signed webhook requests for a replay file. */
export function signedRequests(events: object[], sign: (payload: string) => string): ReplayFile['requests'] {
  return events.map((e) => {
    // Stripe sends pretty-printed JSON; the signature covers these exact bytes.
    const body = JSON.stringify(e, null, 2);
    return {
      method: 'POST',
      path: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) },
      body,
    };
  });
}

/** Is an executable on PATH? */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const self = fileURLToPath(import.meta.url);
// `--import tsx` resolves from the working directory: run children from the repository root.
const root = fileURLToPath(new URL('..', import.meta.url));

function runChild(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', self, ...args],
      { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`load generator failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function runWrk(url: string, connections: number, seconds: number, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    // One thread: the other core belongs to the server under test.
    execFile(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function wrkMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export function parseWrk(out: string, seconds: number): LoadResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const requests = num(/(\d+) requests in/);
  return {
    client: 'wrk',
    requests,
    seconds: num(/requests in ([\d.]+)s/) || seconds,
    perSecond: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: wrkMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99Ms: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    errors: (Number.isNaN(non2xx) ? 0 : non2xx) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

/** A GET load on `url` for `seconds` with `connections` keep-alive connections (2xx and 304 count as answers). */
export async function loadGet(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  if (which('wrk')) return parseWrk(await runWrk(url, connections, seconds, headers), seconds);
  return JSON.parse(
    await runChild(['get', url, String(connections), String(seconds), JSON.stringify(headers)], (seconds + 60) * 1000),
  ) as LoadResult;
}

export async function replay(file: string, connections: number, timeoutMs: number): Promise<ReplayResult> {
  return JSON.parse(await runChild(['replay', file, String(connections)], timeoutMs)) as ReplayResult;
}

// ---- the child ----

function summarise(client: string, latencies: number[], seconds: number, errors: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    client,
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}

function once(agent: Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function childGet(url: string, connections: number, seconds: number, headers: Record<string, string>): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const status = await once(agent, target, 'GET', headers);
        if ((status >= 200 && status < 300) || status === 304) latencies.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  agent.destroy();
  return summarise('node:http (wrk not installed)', latencies, (performance.now() - start) / 1000, errors);
}

async function childReplay(file: string, connections: number): Promise<ReplayResult> {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as ReplayFile;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let i = next++; i < spec.requests.length; i = next++) {
        const r = spec.requests[i]!;
        const t = performance.now();
        const status = await once(agent, new URL(r.path, spec.base), r.method, r.headers, r.body);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) latencies.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  agent.destroy();
  return { ...summarise('node:http', latencies, (performance.now() - start) / 1000, errors), statuses };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [mode, a, b, c, d] = process.argv.slice(2);
  const result =
    mode === 'get'
      ? await childGet(a!, Number(b), Number(c), JSON.parse(d ?? '{}') as Record<string, string>)
      : mode === 'replay'
        ? await childReplay(a!, Number(b))
        : undefined;
  if (!result) {
    console.error('usage: load.ts get <url> <connections> <seconds> | replay <file> <connections>');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
