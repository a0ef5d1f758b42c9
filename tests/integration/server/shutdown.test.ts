import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves with the output once it matches; rejects if the process exits first. */
  printed: (re: RegExp) => Promise<RegExpMatchArray>;
}

/**
 * The real entry point, as `npm start` runs it (minus the front-end build), on PORT=0: the
 * server takes whatever free port the kernel gives it and prints it, so no port is guessed
 * ahead of time. Every wait is on something the process prints or does; the only ceiling is the
 * test timeout, because a busy machine is slow, not broken.
 */
function start(env: Record<string, string>): Started {
  let out = '';
  // The zero-config start: whatever PUBLIC_URL the caller's shell has is not ours.
  const { PUBLIC_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: path.resolve(__dirname, '../../..'),
    env: { ...inherited, LOG_LEVEL: 'warn', PORT: '0', ...env, DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) {
          waiters.delete(check);
          resolve(m);
        }
      };
      waiters.add(check);
      check();
      void exited.then((code) => {
        waiters.delete(check);
        reject(new Error(`server exited (${code}) before printing ${re}:\n${out}`));
      });
    });
  return { child, output: () => out, exited, printed };
}

/** The port the server reports on its first line ("... running on <url>  (port N; ..."). */
async function reportedPort(p: Started): Promise<number> {
  const m = await p.printed(/running on \S+ {2}\(port (\d+);/);
  return Number(m[1]);
}

describe('server process', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  const track = (p: Started) => (children.push(p.child), p);

  it('refuses a bad configuration with one line naming the variable', async () => {
    const p = track(start({ PORT: 'eighty' }));
    expect(await p.exited).toBe(1);
    expect(p.output().trim()).toMatch(/^Invalid configuration: PORT /);
    expect(p.output().trim().split('\n')).toHaveLength(1);
  });

  it('starts with zero setup, prints the URLs and a one-time admin password, and stops cleanly on SIGTERM with an open stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gs-start-'));
    dirs.push(dir);
    const p = track(start({ DATA_DIR: dir }));
    const port = await reportedPort(p);
    await p.printed(/admin login:/);
    const out = p.output();
    // PUBLIC_URL's default follows the port the server really got.
    expect(port).toBeGreaterThan(0);
    expect(out).toContain(`http://localhost:${port}/donate/year-end`);
    expect(out).toContain('TEST MODE');
    expect(out).toMatch(/admin login: admin@example\.com \/ \S{12,}/);
    const base = `http://127.0.0.1:${port}`;
    const progress = await (await fetch(`${base}/api/campaigns/year-end`)).json();
    expect(progress).toMatchObject({
      headline: 'Urgent End Of Year Fundraising Campaign',
      message: 'Online donations are back! Keep independent media alive.',
      currency: 'USD',
      status: 'open',
    });

    // An SSE client stays connected: shutdown must still finish, and it ends the stream.
    const stream = await fetch(`${base}/api/campaigns/year-end/stream`);
    expect(stream.status).toBe(200);
    const streamEnded = (async () => {
      const reader = stream.body!.getReader();
      while (!(await reader.read()).done);
    })();

    // A checkout that is in flight when SIGTERM arrives: its headers are in (the server answered
    // "100 Continue"), its body is sent only once shutdown has begun (the stream was ended).
    const body = JSON.stringify({ amount: 2500, frequency: 'once' });
    const inflight = request(`${base}/api/campaigns/year-end/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      inflight.on('error', reject);
      inflight.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
    });
    inflight.flushHeaders();
    await once(inflight, 'continue');
    p.child.kill('SIGTERM');
    await streamEnded;
    inflight.end(body);
    const res = await answered;
    expect(res.status, res.text).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ url: expect.stringContaining(`http://localhost:${port}/emulator/checkout/`) });
    expect(await p.exited).toBe(0);

    // Restart on the same data: no second demo campaign, no new admin password.
    const again = track(start({ DATA_DIR: dir }));
    await again.printed(/ {2}admin: /);
    // A second process on the same embedded database is refused instead of forking its data.
    const intruder = track(start({ DATA_DIR: dir }));
    expect(await intruder.exited).toBe(1);
    expect(intruder.output()).toMatch(/embedded database .* is in use by process \d+/);
    expect(again.output()).not.toContain('admin login:');
    expect(again.output()).not.toContain('demo campaign created');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
