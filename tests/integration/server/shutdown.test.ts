import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The real entry point, as `npm start` runs it (minus the front-end build). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: path.resolve(__dirname, '../../..'),
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(check: () => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('server process', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses a bad configuration with one line naming the variable', async () => {
    const p = start({ PORT: 'eighty' });
    expect(await p.exited).toBe(1);
    expect(p.output().trim()).toMatch(/^Invalid configuration: PORT /);
    expect(p.output().trim().split('\n')).toHaveLength(1);
  });

  it('starts with zero setup, prints the URLs and a one-time admin password, and stops cleanly on SIGTERM with an open stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gs-start-'));
    dirs.push(dir);
    const port = await freePort();
    const p = start({ PORT: String(port), DATA_DIR: dir });
    await waitFor(() => p.output().includes('admin login:'));
    const out = p.output();
    expect(out).toContain(`http://localhost:${port}/donate/year-end`);
    expect(out).toContain('TEST MODE');
    expect(out).toMatch(/admin login: admin@example\.com \/ \S{12,}/);
    const progress = await (await fetch(`http://127.0.0.1:${port}/api/campaigns/year-end`)).json();
    expect(progress).toMatchObject({ headline: 'Urgent End Of Year Fundraising Campaign', message: 'Online donations are back! Keep independent media alive.', currency: 'USD', status: 'open' });

    // An SSE client stays connected: shutdown must still finish, after in-flight requests.
    const stream = await fetch(`http://127.0.0.1:${port}/api/campaigns/year-end/stream`);
    expect(stream.status).toBe(200);
    const inflight = fetch(`http://127.0.0.1:${port}/api/campaigns/year-end/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, frequency: 'once' }),
    });
    await new Promise((r) => setTimeout(r, 20));
    p.child.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(201);
    expect(await p.exited).toBe(0);

    // Restart on the same data: no second demo campaign, no new admin password.
    const again = start({ PORT: String(port), DATA_DIR: dir });
    await waitFor(() => again.output().includes('admin:'));
    // A second process on the same embedded database is refused instead of forking its data.
    const intruder = start({ PORT: String(await freePort()), DATA_DIR: dir });
    expect(await intruder.exited).toBe(1);
    expect(intruder.output()).toMatch(/embedded database .* is in use by process \d+/);
    expect(again.output()).not.toContain('admin login:');
    expect(again.output()).not.toContain('demo campaign created');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 90_000);
});
