import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { PROGRESS_CACHE_CONTROL } from '../campaigns/fast-read.js';
import type { CachedProgress, ProgressCache } from '../campaigns/progress-cache.js';
import { daysLeft, firstPaintFigures } from './embed-figures.js';
import { type BannerMarkup, bannerMarkup } from './embed-markup.js';

/**
 * embed.js as served: the built file with the progress of the campaigns open right now folded
 * in (issue 12, first banner paint), so the banner renders its numbers as soon as the script
 * runs, without a second request to /api/campaigns/:slug before its first paint.
 *
 * - What is folded is the progress endpoint's own answer, byte for byte (the same cache entry),
 *   keyed by slug, in place of the `'__GS_FOLDED__'` placeholder of web/embed/index.tsx.
 * - Beside it, in place of `'__GS_FIGURES__'`, the numbers of those campaigns already formatted
 *   for the common reader tags (embed-figures.ts), so the first render needs no Intl: a fresh
 *   renderer's first Intl call costs tens of milliseconds of ICU start-up.
 * - And in place of `'__GS_MARKUP__'`, each one's banner as its first paint shows it, rendered
 *   here by the banner's own component (embed-markup.tsx): embed.js puts it on the page at once
 *   and embed-app.js, loaded after that paint, takes it over.
 * - Only while few campaigns are open (at most MAX_FOLDED) and only as many as keep the served
 *   file inside the embed's 16 KiB gzip budget: the newest open campaigns first.
 * - Caching follows the progress endpoint (max-age=5, stale-while-revalidate=30): a copy is
 *   never older than an answer of the endpoint could be, and the ETag (code + folded answers)
 *   makes a revalidation a 304 while nothing changed. The banner follows the live stream, which
 *   sends the current state as soon as it connects.
 * - A new file costs a few milliseconds of CPU per campaign (its banner rendered per reader tag
 *   and variant, then gzip), and every gift makes one. So a campaign's markup is rendered again
 *   only when its own answer or day count changes, and new files are rationed: REBUILD_BURST at
 *   once, then REBUILDS_PER_SECOND. In a storm of gifts (December 31) the file served is then at
 *   most about half a second behind the endpoint, instead of every request for embed.js
 *   rebuilding it and holding the event loop that the webhooks need. Nothing else changes: a
 *   file's ETag is always its own body's.
 * Anything else (no placeholder, nothing open, the database unavailable) serves the built file
 * as it is; the banner then asks the API, as before.
 */

export const MAX_FOLDED = 8;
/** New files at once, then per second (see above). */
export const REBUILD_BURST = 10;
export const REBUILDS_PER_SECOND = 2;
export const EMBED_BUDGET_GZIP = 16 * 1024;
/** How long the list of open campaigns is reused: the progress cache's own TTL. */
const OPEN_TTL_MS = 5_000;
const PLACEHOLDER = /(["'`])__GS_FOLDED__\1/;
const FIGURES = /(["'`])__GS_FIGURES__\1/;
const MARKUP = /(["'`])__GS_MARKUP__\1/;

export interface ServedFile {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  cacheControl?: string;
}

export function createEmbedFolder(
  db: Kysely<Database>,
  cache: ProgressCache,
  clock: () => Date,
  /** Monotonic milliseconds for rationing rebuilds (CPU time, not the campaigns' calendar). */
  monotonic: () => number = () => performance.now(),
) {
  let open: { at: number; slugs: Promise<string[]> } | undefined;
  let last: { key: string; built: string; file: ServedFile | null } | undefined;
  // Rebuilds left (token bucket) and when it was last topped up.
  let tokens = REBUILD_BURST;
  let toppedAt = monotonic();
  const mayRebuild = () => {
    const t = monotonic();
    tokens = Math.min(REBUILD_BURST, tokens + ((t - toppedAt) / 1000) * REBUILDS_PER_SECOND);
    toppedAt = t;
    return tokens >= 1;
  };
  // Each campaign's markup, kept while its answer (ETag) and day count stay the same.
  let markups = new Map<string, { key: string; markup: BannerMarkup | null }>();
  const markupFor = (p: CachedProgress['progress'], etag: string, now: number) => {
    const key = `${etag}|${daysLeft(p, now)}|${now >= Date.parse(p.endsAt) || now < Date.parse(p.startsAt)}`;
    const hit = markups.get(p.slug);
    if (hit?.key === key) return hit.markup;
    const markup = bannerMarkup(p, now);
    markups.set(p.slug, { key, markup });
    return markup;
  };

  const openSlugs = (): Promise<string[]> => {
    const now = clock();
    if (!open || now.getTime() - open.at >= OPEN_TTL_MS || now.getTime() < open.at) {
      const slugs = db
        .selectFrom('campaigns')
        .select('slug')
        .where('archived_at', 'is', null)
        .where('starts_at', '<=', now)
        .where('ends_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(MAX_FOLDED + 1)
        .execute()
        .then((rows) => rows.map((r) => r.slug));
      open = { at: now.getTime(), slugs };
      slugs.catch(() => {
        if (open?.slugs === slugs) open = undefined;
      });
    }
    return open.slugs;
  };

  const build = (built: { body: Buffer; etag: string }, entries: [string, CachedProgress][], now: number): ServedFile | null => {
    const code = built.body.toString('utf8');
    const at = PLACEHOLDER.exec(code);
    if (!at) return null;
    // Found in the code as built, before any campaign's words (which could hold the same text) go in.
    const fig = FIGURES.exec(code);
    const mk = MARKUP.exec(code);
    const fill = (values: [RegExpExecArray, string][]) => {
      let out = code;
      for (const [m, v] of values.sort((x, y) => y[0].index - x[0].index))
        out = out.slice(0, m.index) + JSON.stringify(v) + out.slice(m.index + m[0].length);
      return out;
    };
    for (let n = entries.length; n > 0; n = Math.floor(n / 2)) {
      const json = `{${entries
        .slice(0, n)
        .map(([slug, e]) => `${JSON.stringify(slug)}:${e.body}`)
        .join(',')}}`;
      const shown = entries.slice(0, n);
      // The figures and the markup only as far as they fit beside these campaigns (all, the
      // newest's, none): a campaign left out costs its reader a request before the banner paints,
      // a figure only Intl's start-up, a markup the wait for embed-app.js. Each only when needed.
      const markupOf = (es: typeof shown) => {
        const out: Record<string, BannerMarkup> = {};
        for (const [, e] of es) {
          const m = markupFor(e.progress, e.etag, now);
          if (m) out[e.progress.slug] = m;
        }
        return JSON.stringify(out);
      };
      const tried = new Set<string>();
      for (const es of [shown, shown.slice(0, 1), []]) {
        const figures = fig
          ? JSON.stringify(
              firstPaintFigures(
                es.map(([, e]) => e.progress),
                now,
              ),
            )
          : null;
        const markup = mk ? markupOf(es) : null;
        const t = JSON.stringify([figures, markup]);
        if (tried.has(t)) continue;
        tried.add(t);
        const parts: [RegExpExecArray, string][] = [[at, json]];
        if (fig && figures !== null) parts.push([fig, figures]);
        if (mk && markup !== null) parts.push([mk, markup]);
        const body = Buffer.from(fill(parts));
        const gzip = gzipSync(body, { level: 9 });
        if (gzip.length > EMBED_BUDGET_GZIP) continue;
        const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
        return { body, gzip, etag, cacheControl: PROGRESS_CACHE_CONTROL };
      }
    }
    return null;
  };

  /** True while one request makes the next file: the others are served the last one meanwhile. */
  let making = false;

  /** The file to send for the built embed.js: with progress folded in, or null for as built. */
  return async function fold(built: { body: Buffer; etag: string }): Promise<ServedFile | null> {
    // While another request is making the next file, or no new file may be made, the last one is
    // served without asking the progress cache: a storm keeps dropping its entries, so every ask
    // would be database loads competing with the webhooks for connections.
    if (last?.built === built.etag && (making || !mayRebuild())) return last.file;
    making = true;
    try {
      const slugs = await openSlugs();
      if (!slugs.length || slugs.length > MAX_FOLDED) return null;
      // One campaign at a time: a new file never takes more of the pool than one campaign's load.
      const entries: [string, CachedProgress][] = [];
      for (const s of slugs) {
        const e = await cache.get(s).catch(() => null);
        if (e && e.progress.status === 'open') entries.push([s, e]);
      }
      if (!entries.length) return null;
      const now = clock().getTime();
      // The figures and the markup count days left: a new day count is a new file, as a new answer is.
      const key = `${built.etag}|${entries.map(([s, e]) => `${s}=${e.etag}/${daysLeft(e.progress, now)}`).join('|')}`;
      if (last?.key !== key && (last?.built !== built.etag || mayRebuild())) {
        if (tokens >= 1) tokens -= 1;
        // Each changed campaign's banner in a turn of the event loop of its own (a few ms each),
        // so webhooks and other requests are answered in between.
        for (const [, e] of entries) {
          const had = markups.get(e.progress.slug);
          markupFor(e.progress, e.etag, now);
          if (markups.get(e.progress.slug) !== had) await new Promise((r) => setImmediate(r));
        }
        last = { key, built: built.etag, file: build(built, entries, now) };
        // Only the campaigns of this file keep their markup.
        markups = new Map([...markups].filter(([slug]) => entries.some(([s]) => s === slug)));
      }
      return last.file;
    } catch {
      return null;
    } finally {
      making = false;
    }
  };
}
