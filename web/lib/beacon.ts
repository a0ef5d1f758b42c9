/**
 * Funnel beacons (SPEC §13): impressions and dialog opens, counted per campaign and variant and
 * sent in batches (a few seconds after the first, and when the page is hidden or left) with
 * navigator.sendBeacon as text/plain (no preflight). Nothing is stored; nothing ever throws.
 */
import type { FunnelBeacon } from '../../common/api.js';

type Kind = FunnelBeacon['events'][number]['type'];
/** Counts per beacon URL, then per "type\nvariant". */
let queue: Record<string, Record<string, number>> = {};
let timer: ReturnType<typeof setTimeout> | 0 = 0;

export function beacon(api: string, slug: string, type: Kind, variant: string | null): void {
  const url = `${api}/api/campaigns/${encodeURIComponent(slug)}/events`;
  const q = queue[url] ?? {};
  queue[url] = q;
  const k = `${type}\n${variant ?? ''}`;
  q[k] = (q[k] ?? 0) + 1;
  timer ||= setTimeout(flush, 3000);
}

export function flush(): void {
  clearTimeout(timer);
  timer = 0;
  for (const url in queue) {
    const events = Object.entries(queue[url]!).map(([k, count]) => {
      const [type, variant] = k.split('\n') as [Kind, string];
      return { type, variant: variant || null, count };
    });
    try {
      navigator.sendBeacon(url, JSON.stringify({ events } satisfies FunnelBeacon));
    } catch {
      // no beacon (or refused): the count is lost, the page is not
    }
  }
  queue = {};
}

try {
  addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && flush());
} catch {
  // not in a browser
}
