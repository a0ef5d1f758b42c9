import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * The client's address for rate limits. X-Forwarded-For is only believed when TRUST_PROXY says
 * how many reverse proxies of ours stand in front (`hops`). Each proxy appends the address that
 * connected to it, so with N proxies the client is the Nth entry from the right: the outermost
 * proxy wrote it. Everything left of it is whatever the client chose to send, and a
 * card-testing bot would pick a fresh one per request; everything right of it is our proxies.
 * Behind two proxies, believing only the last entry would put every donor in the outer proxy's
 * bucket.
 */
export function clientIp(c: Context, hops: number): string {
  if (hops > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // A shorter chain did not pass every proxy; its left-most entry is as far as we can see.
    const ip = chain.at(-hops) ?? chain[0];
    if (ip && ip.length <= 100) return ip;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local'; // app.request() in tests has no socket
  }
}
