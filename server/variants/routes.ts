import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { slugSchema } from '../campaigns/schemas.js';
import type { AppDeps } from '../deps.js';
import { AppError, notFound } from '../errors.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter } from '../lib/rate-limit.js';
import { zodToAppError } from '../lib/validation.js';
import { orgTimeZone } from '../settings/service.js';
import { funnelOrigin, recordBeacons } from './funnel.js';
import { BEACON_MAX_BYTES, beaconSchema } from './schemas.js';
import { countableVariants } from './service.js';

/** Beacon batches per client address per minute: a page view sends one or two. */
export const BEACONS_PER_MINUTE = 120;

const slugParam = z.object({ slug: slugSchema });
/** The beacon endpoint's path, for the app's CORS middleware. */
export const BEACON_PATH = /^\/api\/campaigns\/[^/]+\/events$/;

/**
 * POST /api/campaigns/:slug/events: the widget's impression and open counts (SPEC §13 "Funnel").
 * sendBeacon posts text/plain (no preflight) and the browser adds Origin, which a page cannot
 * forge: only the campaign's allowed embedding origins and our own are counted, so a stranger's
 * page (or a script without an Origin) cannot pick a winner. Rate-limited per client address.
 */
export function funnelRoutes(deps: AppDeps) {
  const perClient = createLimiter(deps.db, { keyPrefix: 'funnel-ip', points: BEACONS_PER_MINUTE, durationSeconds: 60 });

  /** The campaign and the caller's origin, or 403: an origin we do not know gets nothing. */
  const allowedCaller = async (c: Context) => {
    const parsed = slugParam.safeParse({ slug: c.req.param('slug') });
    if (!parsed.success) throw zodToAppError(parsed.error);
    const origin = c.req.header('origin');
    if (!origin) throw forbidden();
    const campaign = await deps.db
      .selectFrom('campaigns')
      .where('slug', '=', parsed.data.slug)
      .select(['id', 'allowed_origins'])
      .executeTakeFirst();
    if (!campaign) throw notFound('Campaign');
    const own = new URL(deps.config.publicUrl).origin;
    if (origin !== own && !campaign.allowed_origins.includes(origin)) throw forbidden();
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Vary', 'Origin');
    return { campaign, origin: funnelOrigin(origin, campaign.allowed_origins) };
  };

  return new Hono()
    .options('/:slug/events', async (c) => {
      await allowedCaller(c);
      c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      c.header('Access-Control-Allow-Headers', 'Content-Type');
      c.header('Access-Control-Max-Age', '86400');
      return c.body(null, 204);
    })
    .post('/:slug/events', async (c) => {
      c.header('Vary', 'Origin');
      if (!c.req.header('origin')) throw forbidden();
      await perClient.consume([clientIp(c, deps.config.trustProxy)], 'Too many beacons from this connection');
      const { campaign, origin } = await allowedCaller(c);
      const events = parseBeacon(await c.req.text());
      const now = deps.clock();
      const variants = await countableVariants(deps.db, campaign.id, now);
      const rows = events.map((e, i) => {
        if (e.variant === null) return { ...e, variantId: 0 };
        const variantId = variants.get(e.variant);
        if (variantId === undefined)
          throw new AppError('invalid_request', 400, `events.${i}.variant is not a variant of this campaign`, `events.${i}.variant`);
        return { ...e, variantId };
      });
      const timeZone = await orgTimeZone(deps.db, deps.config);
      await recordBeacons(deps.db, { campaignId: campaign.id, origin, now, timeZone }, rows);
      return c.body(null, 204);
    });
}

function parseBeacon(text: string) {
  if (Buffer.byteLength(text) > BEACON_MAX_BYTES)
    throw new AppError('payload_too_large', 413, `A beacon is at most ${BEACON_MAX_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 400, 'Malformed request body');
  }
  const parsed = beaconSchema.safeParse(body);
  if (!parsed.success) throw zodToAppError(parsed.error);
  return parsed.data.events;
}

const forbidden = () => new AppError('origin_not_allowed', 403, 'Beacons are accepted only from the sites that embed this campaign');
