import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** SPEC §2 through the real entry point: a public server that forgot its Stripe key refuses to start. */
const ROOT = path.resolve(__dirname, '../../..');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const clean = { ...process.env };
  for (const k of [
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'STRIPE_API_BASE',
    'STRIPE_EMULATOR',
    'NODE_ENV',
    'PUBLIC_URL',
    'ADMIN_EMAIL',
    'ADMIN_PASSWORD',
  ])
    delete clean[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...clean, LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Waits for the process to print `text` or to exit, whichever comes first (no fixed deadline but the test's). */
function printed(p: ReturnType<typeof start>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (p.output().includes(text)) {
        p.child.stdout!.off('data', check);
        resolve();
      }
    };
    p.child.stdout!.on('data', check);
    check();
    void p.exited.then((code) => reject(new Error(`exited ${code} before printing "${text}": ${p.output()}`)));
  });
}

describe('start-up refuses the emulator where it would be a silent production default', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dataDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'gs-guard-'));
    dirs.push(d);
    return d;
  };

  it.each([
    [{ PUBLIC_URL: 'https://give.example.org' }],
    [{ PUBLIC_URL: 'https://give.example.org', STRIPE_SECRET_KEY: '' }],
    [{ NODE_ENV: 'production', STRIPE_SECRET_KEY: ' ' }],
  ])(
    'with %o it exits 1 with one line naming what to set',
    async (env) => {
      const p = start({ ...env, DATA_DIR: dataDir() });
      expect(await p.exited).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/STRIPE_SECRET_KEY/);
      expect(lines[0]).toMatch(/STRIPE_EMULATOR=1/);
    },
    60_000,
  );

  it('starts on the emulator with STRIPE_EMULATOR=1, says TEST MODE, and keeps the emulator closed to strangers', async () => {
    const port = await freePort();
    const p = start({ PORT: String(port), PUBLIC_URL: 'https://give.example.org', STRIPE_EMULATOR: '1', DATA_DIR: dataDir() });
    try {
      await printed(p, 'admin login:');
      expect(p.output()).toContain('TEST MODE');
      const base = `http://127.0.0.1:${port}`;
      // The review's exploit: any test key used to list every event, donor e-mails included.
      const events = await fetch(`${base}/v1/events`, { headers: { Authorization: 'Bearer sk_test_groundswell_emulator' } });
      expect(events.status).toBe(401);
      expect((await fetch(`${base}/emulator`)).status).toBe(401);
      const refund = await fetch(`${base}/emulator/actions/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'id=pi_x',
      });
      expect(refund.status).toBe(401);
      // The demo still takes a (test) gift end to end through the SDK with the emulator's own key.
      const checkout = await fetch(`${base}/api/campaigns/year-end/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 2500, frequency: 'once' }),
      });
      expect(checkout.status).toBe(201);
      expect(((await checkout.json()) as { url: string }).url).toMatch(/^https:\/\/give\.example\.org\/emulator\/checkout\/cs_test_/);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }, 90_000);
});
