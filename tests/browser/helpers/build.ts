import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = path.join(ROOT, 'dist/web');
export const EMBED_FILE = path.join(DIST, 'embed.js');

/** What `npm run build` writes: the pages, the admin console (when its source exists), the embed. */
export const EMBED_DONATE_FILE = path.join(DIST, 'embed-donate.js');
export const EMBED_APP_FILE = path.join(DIST, 'embed-app.js');
const OUTPUTS = [
  EMBED_FILE,
  EMBED_APP_FILE,
  EMBED_DONATE_FILE,
  path.join(DIST, 'pages/demo.html'),
  path.join(DIST, 'pages/donate.html'),
  path.join(DIST, 'pages/thanks.html'),
  ...(existsSync(path.join(ROOT, 'web/admin/index.html')) ? [path.join(DIST, 'admin/index.html')] : []),
];
/** What the web build reads: web/ plus common/ (the money module and API types it shares with the server). */
const INPUTS = ['web', 'common', 'package.json'];

function newest(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(p)) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    t = Math.max(t, newest(path.join(p, e)));
  }
  return t;
}

function isFresh(): boolean {
  if (!OUTPUTS.every((f) => existsSync(f))) return false;
  const built = Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs));
  const sources = Math.max(
    ...INPUTS.map((p) => path.join(ROOT, p))
      .filter(existsSync)
      .map(newest),
  );
  return built >= sources;
}

const LOCK = path.join(ROOT, 'dist/.web-build-lock');
/** A ceiling for waiting on another process's build: a cold build on a busy machine takes minutes. */
const LOCK_CEILING_MS = 15 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock (a directory: mkdir is atomic) holding the builder's pid; a dead builder's lock is taken over. */
async function lock(): Promise<void> {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: number | undefined;
    try {
      owner = Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
    } catch {
      // just created, its pid not written yet
    }
    if (owner && !alive(owner)) {
      // A crashed run left its lock: rename is atomic, so only one waiter takes it over.
      const stale = `${LOCK}.stale-${process.pid}`;
      try {
        renameSync(LOCK, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {
        // another waiter took it first
      }
      continue;
    }
    if (Date.now() - started > LOCK_CEILING_MS) {
      throw new Error(`The web build lock ${LOCK} is still held by process ${owner ?? '?'}; remove it if no build is running.`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Builds what `npm run build` builds (pages, admin console, embed) unless dist/web is newer than
 * every source. vitest's "web" project calls this once in its global setup, before any test file
 * starts (vitest.config.ts), so no test ever sees dist/web half-written; the lock covers callers
 * outside that project and two vitest runs in one checkout.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (isFresh()) return;
  await lock();
  try {
    if (!isFresh()) {
      // vitest sets NODE_ENV=test, which would give development builds of React.
      const env = { ...process.env, NODE_ENV: 'production' };
      const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
      // The same steps as `npm run build`: the pages, the embed's dialog script, its live banner, then embed.js.
      for (const args of [
        ['--config', 'web/vite.config.ts'],
        ['--config', 'web/vite.embed.config.ts', '--mode', 'donate'],
        ['--config', 'web/vite.embed.config.ts', '--mode', 'app'],
        ['--config', 'web/vite.embed.config.ts'],
      ]) {
        execFileSync(process.execPath, [vite, 'build', ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The scripts admin/index.html loads before anything runs: its entry and every modulepreload. */
export function adminInitialScripts(): string[] {
  const html = readFileSync(path.join(DIST, 'admin/index.html'), 'utf8');
  return [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/(assets\/[^"]+\.js)"/g)].map((m) =>
    path.join(DIST, m[1]!),
  );
}
