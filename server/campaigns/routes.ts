import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { validationHook } from '../lib/validation.js';
import { listPublicDonors } from './donors.js';
import type { ProgressCache } from './progress-cache.js';
import { slugSchema } from './schemas.js';

const slugParam = z.object({ slug: slugSchema });

/** Open event streams, so that shutdown can end them (clients reconnect to another instance). */
export type StreamRegistry = Set<() => void>;

export function campaignRoutes(deps: AppDeps, cache: ProgressCache, streams: StreamRegistry = new Set()) {
  return new Hono()
    .get('/:slug', zValidator('param', slugParam, validationHook), async (c) => {
      const entry = await cache.get(c.req.valid('param').slug);
      c.header('ETag', entry.etag);
      c.header('Cache-Control', 'public, max-age=5, stale-while-revalidate=30');
      if (c.req.header('If-None-Match') === entry.etag) return c.body(null, 304);
      c.header('Content-Type', 'application/json; charset=utf-8');
      return c.body(entry.body);
    })
    .get(
      '/:slug/donors',
      zValidator('param', slugParam, validationHook),
      zValidator('query', z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }), validationHook),
      async (c) => {
        const { slug } = c.req.valid('param');
        const entry = await cache.get(slug); // 404s unknown campaigns
        const donors = await listPublicDonors(deps.db, entry.campaignId, c.req.valid('query').limit);
        c.header('Cache-Control', 'public, max-age=10');
        return c.json({ donors });
      },
    )
    .get('/:slug/stream', zValidator('param', slugParam, validationHook), async (c) => {
      const { slug } = c.req.valid('param');
      let entry = await cache.get(slug);
      c.header('Cache-Control', 'no-cache, no-transform');
      c.header('X-Accel-Buffering', 'no'); // nginx: do not buffer the event stream
      return streamSSE(c, async (stream) => {
        let wake: (() => void) | undefined;
        let dirty = false;
        const unsubscribe = deps.bus.subscribe((campaignId) => {
          if (campaignId !== 0 && campaignId !== entry.campaignId) return;
          dirty = true;
          wake?.();
        });
        let ending = false;
        const end = () => {
          ending = true;
          wake?.();
        };
        streams.add(end);
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        let sent = '';
        try {
          while (!stream.aborted && !stream.closed && !ending) {
            if (entry.body !== sent) {
              await stream.writeSSE({ event: 'progress', data: entry.body, id: entry.etag.replaceAll('"', '') });
              sent = entry.body;
            }
            // Sleep until a change or a 25 s heartbeat (keeps proxies from closing idle streams).
            let heartbeat: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (dirty || ending) resolve();
              heartbeat = setTimeout(resolve, 25_000);
              heartbeat.unref();
            });
            clearTimeout(heartbeat);
            wake = undefined;
            if (stream.aborted || stream.closed || ending) break;
            if (dirty) {
              dirty = false;
              // The cache's own subscriber ran first and dropped the entry: every stream of this
              // instance shares one reload (no query per open banner).
              entry = await cache.get(slug);
            } else {
              await stream.write(': keep-alive\n\n');
            }
          }
        } finally {
          unsubscribe();
          streams.delete(end);
        }
      });
    });
}
