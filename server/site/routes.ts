import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { findBySlug } from '../campaigns/repository.js';
import { slugSchema } from '../campaigns/schemas.js';
import { returnTarget } from '../checkout/return-url.js';
import { checkoutSessionId } from '../checkout/routes.js';
import { checkoutStatus } from '../checkout/service.js';
import type { AppDeps } from '../deps.js';
import { digestRoutes } from '../digest/routes.js';
import { notFound } from '../errors.js';
import { validationHook } from '../lib/validation.js';
import { DEMO_SLUG } from '../seed.js';
import { manageLinkFor } from '../manage/links.js';
import type { ProgressCache } from '../campaigns/progress-cache.js';
import { createEmbedFolder } from './embed-fold.js';
import { withTestModeNote } from './test-mode.js';
import { LOCALES } from '../../common/i18n.js';

/** Where `npm run build` writes (web/vite.config.ts, web/vite.embed.config.ts). */
export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Our own pages load only our own scripts and talk only to our own origin. style-src still has
 * 'unsafe-inline' for the pages' own form CSS (mountPage adds a <style>); the widget itself no
 * longer needs it (constructable stylesheets, see web/components/styles.ts).
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Cache-Control': 'no-cache',
};

interface Built {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Built files read once per change on disk (a rebuild is picked up without a restart). How
 * long one is served without looking at the disk again: a new build (npm run build while the
 * server runs) is served within this. Saves a stat per request for embed.js. */
const RECHECK_MS = 1_000;

class DistCache {
  private files = new Map<string, Built & { checkedAt: number }>();
  constructor(private dir: string) {}

  async get(rel: string): Promise<Built | null> {
    const file = path.resolve(this.dir, rel);
    if (!file.startsWith(this.dir + path.sep)) return null;
    const now = performance.now();
    const known = this.files.get(file);
    // Only files that exist are remembered: a request for any name must not grow this map.
    if (known && now - known.checkedAt < RECHECK_MS) return known;
    let st;
    try {
      st = await stat(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    if (known && known.mtimeMs === st.mtimeMs) {
      known.checkedAt = now;
      return known;
    }
    const body = await readFile(file);
    const built = {
      checkedAt: now,
      mtimeMs: st.mtimeMs,
      body,
      gzip: gzipSync(body, { level: 9 }),
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
    };
    this.files.set(file, built);
    return built;
  }
}

function sendBuilt(c: Context, f: Pick<Built, 'body' | 'gzip' | 'etag'>, headers: Record<string, string>) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  c.header('ETag', f.etag);
  c.header('Vary', 'Accept-Encoding');
  if (c.req.header('If-None-Match') === f.etag) return c.body(null, 304);
  if (/\bgzip\b/.test(c.req.header('Accept-Encoding') ?? '')) {
    c.header('Content-Encoding', 'gzip');
    return c.body(new Uint8Array(f.gzip));
  }
  return c.body(new Uint8Array(f.body));
}

const notBuilt = (what: string) =>
  `<!doctype html><meta charset="utf-8"><title>Not built</title><p>The ${what} has not been built yet: run <code>npm run build</code>, then reload.</p>`;

/** The widget's catalogs beyond English (web/vite.embed.config.ts), as embed.js fetches them. */
export const EMBED_CATALOGS = LOCALES.filter((l) => l !== 'en').map((l) => `embed-${l}.json`);

/** Pages and assets: /, /embed.js, /donate/:slug, /thanks, /assets/*; the web's small APIs. */
export function siteRoutes(deps: AppDeps, opts: { distDir?: string; progress?: ProgressCache } = {}) {
  const dist = new DistCache(opts.distDir ?? WEB_DIST);
  // embed.js carries the open campaigns' progress (server/site/embed-fold.ts).
  const fold = opts.progress && createEmbedFolder(deps.db, opts.progress, deps.clock);
  const app = new Hono();

  const page = async (c: Context, rel: string, vars: Record<string, string> = {}, status: 200 | 404 = 200) => {
    const f = await dist.get(rel);
    if (!f) return c.html(notBuilt('web page'), 503, PAGE_HEADERS);
    let html = f.body.toString('utf8');
    // Values are slugs (validated: [a-z0-9-]) but are escaped anyway, in case that ever changes.
    for (const [k, v] of Object.entries(vars)) html = html.replaceAll(k, escapeHtml(v));
    if (deps.config.testMode) html = withTestModeNote(html);
    return c.html(html, status, PAGE_HEADERS);
  };

  // The widget: any origin may load it; five minutes of caching bounds how long a fix takes to spread
  // (five seconds, like the progress endpoint, while it carries progress: embed-fold.ts).
  // embed-app.js is the live banner, loaded by embed.js after its first paint; embed-donate.js its
  // dialog, loaded on first use; embed-<lang>.json its catalogs beyond English, fetched for readers
  // of that language; each is named by the script before it with ?v=<content hash>.
  for (const file of ['embed.js', 'embed-app.js', 'embed-donate.js', ...EMBED_CATALOGS]) {
    app.get(`/${file}`, async (c) => {
      const f = await dist.get(file);
      const headers = {
        'Content-Type': file.endsWith('.json') ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8',
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': file === 'embed.js' ? 'public, max-age=300' : 'public, max-age=86400',
      };
      if (!f && file.endsWith('.json')) throw notFound('File');
      if (!f) {
        return c.body(`console.warn("[groundswell] ${file} has not been built: run npm run build on the server");`, 503, {
          ...headers,
          'Cache-Control': 'no-store',
        });
      }
      const folded = file === 'embed.js' && fold ? await fold(f) : null;
      if (folded) return sendBuilt(c, folded, { ...headers, 'Cache-Control': folded.cacheControl ?? headers['Cache-Control'] });
      return sendBuilt(c, f, headers);
    });
  }

  app.get('/assets/:file', async (c) => {
    const name = c.req.param('file');
    const type = TYPES[path.extname(name)];
    if (!type || !/^[\w.-]+$/.test(name) || name.startsWith('.')) throw notFound('File');
    const f = await dist.get(`assets/${name}`);
    if (!f) throw notFound('File');
    // Vite names built assets by content hash: a name never changes meaning.
    return sendBuilt(c, f, {
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
  });

  app.get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));

  // The demo article page shows ?campaign=… or the demo campaign, else the newest open campaign.
  app.get('/', async (c) => {
    const asked = slugSchema.safeParse(c.req.query('campaign') ?? '');
    let slug = asked.success ? asked.data : DEMO_SLUG;
    if (!asked.success && !(await findBySlug(deps.db, slug))) {
      const latest = await deps.db
        .selectFrom('campaigns')
        .select('slug')
        .where('archived_at', 'is', null)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (latest) slug = latest.slug;
    }
    return page(c, 'pages/demo.html', { __GS_CAMPAIGN__: slug });
  });

  // The "Back to ..." link of /donate and /thanks: the `return` parameter is only a hint (anyone
  // can write one into a link); the page gets it only if its origin is allowed for the campaign.
  const vettedReturn = (c: Context, campaign: { allowed_origins: string[] } | null | undefined) => {
    const raw = c.req.query('return');
    return (campaign && returnTarget(raw, campaign.allowed_origins, deps.config.publicUrl)) ?? '';
  };

  app.get('/donate/:slug', async (c) => {
    const parsed = slugSchema.safeParse(c.req.param('slug'));
    const campaign = parsed.success ? await findBySlug(deps.db, parsed.data) : undefined;
    // Unknown campaigns still get the page (it says so in words) but with a 404 status.
    return page(c, 'pages/donate.html', { __GS_RETURN__: vettedReturn(c, campaign) }, campaign ? 200 : 404);
  });

  app.get('/thanks', async (c) => {
    const id = checkoutSessionId.safeParse(c.req.query('session_id') ?? '');
    const status = id.success ? await checkoutStatus(deps.db, id.data) : null;
    const campaign = status ? await findBySlug(deps.db, status.campaign.slug) : undefined;
    return page(c, 'pages/thanks.html', { __GS_RETURN__: vettedReturn(c, campaign) });
  });

  // /thanks only knows Checkout's session id (success_url has no slug).
  app.get('/api/checkout-sessions/:id', zValidator('param', z.object({ id: checkoutSessionId }), validationHook), async (c) => {
    const id = c.req.valid('param').id;
    const status = await checkoutStatus(deps.db, id);
    if (!status) throw notFound('Checkout session');
    c.header('Cache-Control', 'no-store');
    // A paid monthly gift: the donor's link to manage it (SPEC §10). Whoever holds the session id
    // came back from this Checkout (it is in no public place), the same proof /thanks relies on.
    let manageUrl: string | null = null;
    if (status.status === 'paid' && status.frequency === 'monthly') {
      const gift = await deps.db.selectFrom('gifts').select('id').where('checkout_session_id', '=', id).executeTakeFirst();
      if (gift) manageUrl = await manageLinkFor(deps, gift.id, deps.clock());
    }
    return c.json({ ...status, manageUrl });
  });

  app.route('/api/digest', digestRoutes(deps));

  return app;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
