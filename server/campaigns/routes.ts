import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { RequestIdVariables } from 'hono/request-id';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { validationHook } from '../lib/validation.js';
import { listPublicDonors } from './donors.js';
import { type ProgressStreams, STREAM_HEADERS } from '../live/streams.js';
import { PROGRESS_CACHE_CONTROL, PROGRESS_CONTENT_TYPE } from './fast-read.js';
import type { ProgressCache } from './progress-cache.js';
import { slugSchema } from './schemas.js';

const slugParam = z.object({ slug: slugSchema });

/** The framework's side of the public reads; server/campaigns/fast-read.ts answers warm ones first. */
export function campaignRoutes(deps: AppDeps, cache: ProgressCache, streams: ProgressStreams) {
  return new Hono<{ Variables: RequestIdVariables }>()
    .get('/:slug', zValidator('param', slugParam, validationHook), async (c) => {
      const entry = await cache.get(c.req.valid('param').slug);
      c.header('ETag', entry.etag);
      c.header('Cache-Control', PROGRESS_CACHE_CONTROL);
      if (c.req.header('If-None-Match') === entry.etag) return c.body(null, 304);
      c.header('Content-Type', PROGRESS_CONTENT_TYPE);
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
      const entry = await cache.get(slug); // 404s unknown campaigns
      // On a real socket the stream joins the instance's viewers as a plain node:http response
      // (what the fast path does for a warm cache); app.request (tests) gets a Web stream.
      const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
      if (outgoing) {
        streams.openNode(outgoing, slug, entry, c.get('requestId'));
        return RESPONSE_ALREADY_SENT;
      }
      for (const [k, v] of STREAM_HEADERS) c.header(k, v);
      return c.body(streams.openWeb(slug, entry));
    });
}
