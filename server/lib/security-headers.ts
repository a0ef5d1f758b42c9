import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../config.js';

/**
 * One consistent set of response headers per surface (hono/secure-headers), mounted by path in
 * createApp:
 * - public: the campaign API, checkout status, digest sign-up, embed.js, health. Read from any
 *   origin by the widget, so Cross-Origin-Resource-Policy is cross-origin. Set with c.header()
 *   before the handler: this path serves every page view of every embedding site, and touching
 *   the finished Response (as the middleware does) cost the progress endpoint dearly (bench).
 *   `publicHeaders` is the same list for the reads served beside the framework
 *   (server/campaigns/fast-read.ts).
 * - console: /admin and /api/admin. Never framable (frame-ancestors 'none' + X-Frame-Options
 *   DENY: clickjacking a signed-in admin), scripts only from our origin.
 * - emulator: the demo Checkout page and dashboard. Never framable, no scripts at all; its
 *   forms post to itself and redirect to PUBLIC_URL.
 * - pages: /, /donate, /thanks, /assets (their CSP is set by the page routes).
 * HSTS only when PUBLIC_URL is https: on http://localhost it would pin a developer's browser.
 */
export function securityHeaders(config: Config) {
  const https = config.publicUrl.startsWith('https://');
  const hsts = https ? 'max-age=31536000; includeSubDomains' : false;
  const own = new URL(config.publicUrl).origin;

  const publicHeaders: [string, string][] = [
    ['Cross-Origin-Resource-Policy', 'cross-origin'],
    ['X-Content-Type-Options', 'nosniff'],
    ...(https ? [['Strict-Transport-Security', hsts as string] as [string, string]] : []),
  ];
  const publicSurface: MiddlewareHandler = async (c, next) => {
    for (const [k, v] of publicHeaders) c.header(k, v);
    await next();
  };

  const neverFramed = {
    strictTransportSecurity: hsts,
    xFrameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
    referrerPolicy: 'same-origin',
  } as const;

  const adminSurface = secureHeaders({
    ...neverFramed,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // React and the charts set style properties; the loading note has a style attribute.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });

  const emulator = secureHeaders({
    ...neverFramed,
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'none'"],
      baseUri: ["'none'"],
      // The pay/cancel forms post here and are redirected to PUBLIC_URL (form-action covers redirects).
      formAction: ["'self'", own],
      frameAncestors: ["'none'"],
    },
  });

  // Pages keep the CSP their routes set; these add the rest. Our own pages may frame each other.
  const pages = secureHeaders({
    strictTransportSecurity: hsts,
    xFrameOptions: 'SAMEORIGIN',
    referrerPolicy: 'strict-origin-when-cross-origin',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: false,
  });

  return { publicSurface, publicHeaders, admin: keepRouteCsp(adminSurface), emulator, pages };
}

/**
 * A route that sandboxes what it serves keeps its own policy: the outbox shows a mail's HTML with
 * `default-src 'none'; sandbox` (no scripts, no requests, not our origin), which the console's
 * policy would otherwise replace.
 */
function keepRouteCsp(surface: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    let own: string | null = null;
    await surface(c, async () => {
      await next();
      own = c.res.headers.get('Content-Security-Policy');
    });
    // Only a sandboxing policy (content we show but do not trust) replaces the console's.
    if (own && /(^|;)\s*sandbox\b/.test(own)) c.res.headers.set('Content-Security-Policy', own);
  };
}
