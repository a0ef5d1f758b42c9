import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { slugSchema } from '../campaigns/schemas.js';
import type { AppDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { clientIp } from '../lib/client-ip.js';
import { getCampaign } from '../campaigns/service.js';
import { cardTestingGuard } from '../giving/card-testing.js';
import { createLimiter } from '../lib/rate-limit.js';
import { validationHook } from '../lib/validation.js';
import { checkoutSchema } from './schemas.js';
import { checkoutStatus, startCheckout } from './service.js';
import { checkoutFunnel } from '../variants/checkout.js';

/** Checkout Session ids as Stripe (and the emulator) make them: cs_test_… / cs_live_…. */
export const checkoutSessionId = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a Checkout Session id');
const sessionParam = z.object({ slug: slugSchema, sessionId: checkoutSessionId });

export function checkoutRoutes(deps: AppDeps) {
  const perClient = createLimiter(deps.db, { keyPrefix: 'checkout-ip', points: deps.config.checkoutRateLimit, durationSeconds: 60 });
  // A bot with many addresses still reuses e-mails; a person never needs this many tries.
  const perEmail = createLimiter(deps.db, { keyPrefix: 'checkout-email', points: deps.config.checkoutRateLimit, durationSeconds: 60 });
  // Per campaign, whoever asks: alerts, or switches a configured CAPTCHA on (giving/card-testing.ts).
  const cardTesting = cardTestingGuard(deps);

  return new Hono()
    .post(
      '/:slug/checkout',
      zValidator('param', z.object({ slug: slugSchema }), validationHook),
      zValidator('json', checkoutSchema, validationHook),
      async (c) => {
        const input = c.req.valid('json');
        const ip = clientIp(c, deps.config.trustProxy);
        const keys = [ip, ...(input.email ? [`e:${input.email.toLowerCase()}`] : [])];
        await perClient.consume(keys.slice(0, 1), 'Too many donation attempts from this connection');
        if (keys[1]) await perEmail.consume([keys[1]], 'Too many donation attempts for this e-mail address');
        const campaign = await getCampaign(deps.db, c.req.valid('param').slug);
        await cardTesting.checkout(campaign.id, input.captchaToken, ip);
        // The widget sends the page's origin + path; older embeds only the Referer (the host's policy decides what it holds).
        const returnUrl = input.returnTo ?? c.req.header('referer');
        const funnel = await checkoutFunnel(deps, campaign, input.variant, c.req.header('origin'));
        const result = await startCheckout(deps, c.req.valid('param').slug, input, { clientIp: ip, returnUrl, funnel });
        return c.json({ id: result.id, url: result.url }, 201);
      },
    )
    .get('/:slug/checkout/:sessionId', zValidator('param', sessionParam, validationHook), async (c) => {
      const { slug, sessionId } = c.req.valid('param');
      const status = await checkoutStatus(deps.db, sessionId);
      if (!status || status.campaign.slug !== slug) throw notFound('Checkout session');
      c.header('Cache-Control', 'no-store');
      return c.json(status);
    });
}
