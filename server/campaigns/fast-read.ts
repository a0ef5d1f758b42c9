import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedProgress, ProgressCache } from './progress-cache.js';

/**
 * The hottest public read, GET /api/campaigns/:slug (every page view of every embedding site),
 * answered beside the framework: when the campaign's progress is in the cache and fresh, the
 * node:http request is answered with bytes and headers computed once per cache entry. Anything
 * else (another method, a query string, an encoded or non-canonical slug, a cold or stale entry)
 * goes on to the Hono app, which loads the entry; the next request is fast again.
 *
 * The headers are the framework's, byte for byte (tests/integration/campaigns/fast-read.test.ts
 * compares both answers): the public surface's security headers, the CORS read headers, the
 * route's caching headers, a request id, in the order Hono sends them (sorted by name).
 */

export type Header = readonly [name: string, value: string];

/** What the public read route and its CORS fast branch set (server/app.ts). */
export const PUBLIC_READ_CORS: Header[] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', 'Retry-After,ETag'],
];
export const PROGRESS_CACHE_CONTROL = 'public, max-age=5, stale-while-revalidate=30';
export const PROGRESS_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Headers as a Web Headers object iterates them: lower-case names, sorted. */
export function asSent(headers: readonly Header[]): string[] {
  return headers
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flat();
}

/** hono/request-id: the caller's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && given && given.length <= 255 && !/[^\w\-=]/.test(given) ? given : randomUUID();
}

/** Raw header arrays ready for writeHead; the request id's slot is filled per request. */
interface Prepared {
  ok: string[];
  okId: number;
  notModified: string[];
  notModifiedId: number;
  body: Buffer;
}

const PREFIX = '/api/campaigns/';

export function createFastRead(cache: ProgressCache, publicHeaders: readonly Header[]) {
  const prepared = new WeakMap<CachedProgress, Prepared>();
  const prepare = (entry: CachedProgress): Prepared => {
    let p = prepared.get(entry);
    if (!p) {
      const common: Header[] = [...publicHeaders, ...PUBLIC_READ_CORS, ['ETag', entry.etag], ['Cache-Control', PROGRESS_CACHE_CONTROL]];
      const body = Buffer.from(entry.body);
      const ok = [
        ...asSent([...common, ['Content-Type', PROGRESS_CONTENT_TYPE]]),
        'x-request-id',
        '',
        'Content-Length',
        String(body.length),
      ];
      const notModified = [...asSent(common), 'x-request-id', ''];
      p = { ok, okId: ok.length - 3, notModified, notModifiedId: notModified.length - 1, body };
      prepared.set(entry, p);
    }
    return p;
  };

  /** Answers the request and returns true, or returns false and touches nothing. */
  return function fastRead(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || !url || !url.startsWith(PREFIX)) return false;
    const slug = url.slice(PREFIX.length);
    // Cache keys are canonical slugs: a segment that is one needs no decoding or validation.
    if (!slug || /[/?%#]/.test(slug)) return false;
    const entry = cache.peek(slug);
    if (!entry) return false;
    const p = prepare(entry);
    const id = requestIdFor(req);
    // writeHead copies the array before returning: the shared one can take the next id.
    if (req.headers['if-none-match'] === entry.etag) {
      p.notModified[p.notModifiedId] = id;
      res.writeHead(304, p.notModified);
      res.end();
    } else {
      p.ok[p.okId] = id;
      res.writeHead(200, p.ok);
      res.end(p.body);
    }
    return true;
  };
}
