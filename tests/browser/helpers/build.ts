import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = path.join(ROOT, 'dist/web');
export const EMBED_FILE = path.join(DIST, 'embed.js');

const OUTPUTS = [EMBED_FILE, path.join(DIST, 'pages/demo.html'), path.join(DIST, 'pages/donate.html'), path.join(DIST, 'pages/thanks.html')];
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
  const sources = Math.max(...INPUTS.map((p) => path.join(ROOT, p)).filter(existsSync).map(newest));
  return built >= sources;
}

/**
 * Builds what `npm run build` builds for the public side (pages + embed; not the admin console)
 * unless dist/web is newer than every source. Test files run in parallel
 * workers: a lock directory (mkdir is atomic) makes the others wait for the one that builds.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (isFresh()) return;
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const lock = path.join(ROOT, 'dist/.web-build-lock');
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A crashed build leaves its lock behind: take it over after two minutes.
      if (Date.now() - started > 120_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!isFresh()) {
      // vitest sets NODE_ENV=test, which would give development builds of React.
      const env = { ...process.env, NODE_ENV: 'production', GROUNDSWELL_BUILD: 'public' };
      const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
      for (const config of ['web/vite.config.ts', 'web/vite.embed.config.ts']) {
        execFileSync(process.execPath, [vite, 'build', '--config', config], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      /* already gone */
    }
  }
}
