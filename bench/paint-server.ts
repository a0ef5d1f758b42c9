/**
 * The widget bench's servers in a process of their own: the real app (with an open campaign
 * seeded through the webhook path), the host pages' server and the smallest script's server. In production the Groundswell
 * server is its own process; were it in the bench's process, the Playwright driver's work would
 * stall its event loop while Chromium waits for `embed.js`, a delay only the widget page pays.
 *
 * Run as a child (`--child`): prints one JSON line {app, host} once both listen, and stops both
 * when its stdin closes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PaintServers {
  appUrl: string;
  hostUrl: string;
  stop(): Promise<void>;
}

async function child(): Promise<void> {
  const { seedCampaign, startApp } = await import('./servers.js');
  const { startFloorScript, startHostPages } = await import('./widget.js');
  const app = await startApp(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  await seedCampaign(app.ctx, 'bench-widget', 40);
  const floor = await startFloorScript();
  const host = await startHostPages(app.url, floor.url);
  process.stdout.write(`${JSON.stringify({ app: app.url, host: host.url })}\n`);
  process.stdin.resume();
  process.stdin.once('end', async () => {
    await host.stop();
    await floor.stop();
    await app.stop();
    process.exit(0);
  });
}

/** Starts the child and resolves once both servers listen. */
export function startPaintServers(): Promise<PaintServers> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.stdin.end();
    });
  return new Promise<PaintServers>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the paint servers did not start in 120 s: ${err.slice(-2000)}`));
    }, 120_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      const { app, host } = JSON.parse(line) as { app: string; host: string };
      resolve({ appUrl: app, hostUrl: host, stop });
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the paint servers exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

if (process.argv[2] === '--child') await child();
