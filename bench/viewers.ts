/**
 * The stream viewers, as a child process (bench/streams.ts runs it): N raw TCP connections, each
 * a GET of an event stream, spread over one or more servers. Talks over stdin/stdout, one JSON
 * line each way:
 *   → {"ready": n, "sample": "<the first event's bytes>"}  once every viewer has its first event
 *   ← "measure"                                           (the parent then triggers the change)
 *   → {"first": t, "last": t, "p50": t, "received": n, "sample": "..."}  epoch ms when viewers
 *      got their next progress event
 *
 *   tsx bench/viewers.ts <n> <url>[,<url>...]
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const now = () => performance.timeOrigin + performance.now();
const [nArg, urlsArg] = process.argv.slice(2);
const n = Number(nArg);
const urls = (urlsArg ?? '').split(',').map((u) => new URL(u));
const PARALLEL_CONNECTS = 200;

interface Viewer {
  socket: Socket;
  events: number;
  at: number;
  sample: string;
}

const viewers: Viewer[] = [];
let onEvent: (v: Viewer) => void = () => {};
const MARK = 'event: progress\n';

function open(i: number): Promise<void> {
  const url = urls[i % urls.length]!;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const v: Viewer = { socket, events: 0, at: 0, sample: '' };
    let carry = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      const text = carry + d;
      let from = 0;
      for (let at = text.indexOf(MARK, from); at >= 0; at = text.indexOf(MARK, from)) {
        v.events++;
        v.at = now();
        const end = text.indexOf('\n\n', at);
        v.sample = text.slice(at, end < 0 ? undefined : end + 2);
        from = at + MARK.length;
        onEvent(v);
        if (v.events === 1) resolve();
      }
      carry = text.slice(Math.max(from, text.length - MARK.length));
    });
    socket.on('error', reject);
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    viewers.push(v);
  });
}

let next = 0;
await Promise.all(
  Array.from({ length: PARALLEL_CONNECTS }, async () => {
    for (let i = next++; i < n; i = next++) await open(i);
  }),
);
process.stdout.write(`${JSON.stringify({ ready: viewers.length, sample: viewers[0]?.sample })}\n`);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'measure') continue;
  const target = new Map(viewers.map((v) => [v, v.events + 1]));
  let received = 0;
  await new Promise<void>((resolve) => {
    onEvent = (v) => {
      if (v.events === target.get(v)) {
        received++;
        if (received === viewers.length) resolve();
      }
    };
  });
  const times = viewers.map((v) => v.at).sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ first: times[0], last: times[times.length - 1], p50: times[times.length >> 1], received, sample: viewers[0]?.sample })}\n`,
  );
}
for (const v of viewers) v.socket.destroy();
