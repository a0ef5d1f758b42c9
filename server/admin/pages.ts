import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { withTestModeNote } from '../site/test-mode.js';

const DEFAULT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web/admin');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The console must never be framed (clickjacking a signed-in admin) nor leak its URLs. */
const SECURITY_HEADERS = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * /admin and /admin/*: the built console (dist/web/admin). A path naming a built file serves it;
 * every other path is a client-side route and gets index.html.
 */
export function adminPageRoutes(opts: { distDir?: string; testMode?: boolean } = {}) {
  const dist = opts.distDir ?? DEFAULT_DIST;
  const app = new Hono();

  const index = async () => {
    try {
      return await readFile(path.join(dist, 'index.html'), 'utf8');
    } catch {
      return null;
    }
  };

  const page = async (c: import('hono').Context) => {
    const html = await index();
    if (html === null) {
      return c.text('The admin console has not been built yet: run `npm run build`, then reload.', 503, SECURITY_HEADERS);
    }
    return c.html(opts.testMode ? withTestModeNote(html) : html, 200, { ...SECURITY_HEADERS, 'Cache-Control': 'no-cache' });
  };

  app.get('/admin', page);
  app.get('/admin/*', async (c) => {
    const rel = c.req.path.slice('/admin/'.length);
    const ext = path.extname(rel);
    // Only plain file names under the build folder: no dot segments, no escaping it.
    if (ext && TYPES[ext] && /^[\w.\-/]+$/.test(rel) && !rel.split('/').includes('..')) {
      const file = path.resolve(dist, rel);
      if (file.startsWith(dist + path.sep)) {
        try {
          const body = await readFile(file);
          return c.body(body, 200, {
            'Content-Type': TYPES[ext],
            'X-Content-Type-Options': 'nosniff',
            // Vite names built assets by content hash: they never change under one name.
            'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          });
        } catch {
          return c.json({ error: { code: 'not_found', message: 'Not found' } }, 404);
        }
      }
    }
    return page(c);
  });
  return app;
}
