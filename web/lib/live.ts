import { type CampaignProgress, fetchProgress } from './api.js';

type Listener = (p: CampaignProgress) => void;

/**
 * One live feed per campaign per page, however many banners show it: Server-Sent Events from
 * /stream (EventSource reconnects by itself after a drop), and after repeated failures (a proxy
 * that buffers or blocks event streams) polling of the progress endpoint, revalidated through
 * the browser's HTTP cache so that an unchanged campaign costs a 304.
 */
class Feed {
  private listeners = new Set<Listener>();
  private es: EventSource | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private polling = false;
  private last = '';

  constructor(
    private api: string,
    private slug: string,
    private opts: LiveOptions,
  ) {}

  add(fn: Listener): () => void {
    this.listeners.add(fn);
    if (this.listeners.size === 1) this.start();
    // A banner that joins an open feed (it may have rendered from older data) gets the latest.
    else if (this.last) fn(JSON.parse(this.last) as CampaignProgress);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private emit(p: CampaignProgress) {
    const key = JSON.stringify(p);
    if (key === this.last) return;
    this.last = key;
    for (const fn of this.listeners) {
      try {
        fn(p);
      } catch {
        // one broken banner must not stop the others
      }
    }
  }

  private start() {
    if (this.polling || typeof EventSource === 'undefined') return this.poll();
    this.connect();
  }

  private connect() {
    let es: EventSource;
    try {
      es = new EventSource(`${this.api}/api/campaigns/${encodeURIComponent(this.slug)}/stream`);
    } catch {
      return this.fail();
    }
    this.es = es;
    es.addEventListener('progress', (e) => {
      this.failures = 0;
      try {
        this.emit(JSON.parse((e as MessageEvent<string>).data) as CampaignProgress);
      } catch {
        // a malformed event is skipped; the next one carries the whole state again
      }
    });
    es.onerror = () => {
      // CONNECTING: the browser retries by itself; CLOSED: it gave up (HTTP error, wrong type).
      this.failures++;
      if (es.readyState === EventSource.CLOSED || this.failures >= this.opts.maxStreamFailures) {
        es.close();
        this.es = undefined;
        this.fail();
      }
    };
  }

  private fail() {
    if (this.failures >= this.opts.maxStreamFailures) {
      this.polling = true;
      return this.poll();
    }
    // The browser gave up on its own: try again later, a little later each time.
    this.timer = setTimeout(() => this.connect(), Math.min(30_000, 1000 * 2 ** this.failures));
  }

  private poll() {
    const tick = async () => {
      try {
        this.emit(await fetchProgress(this.api, this.slug, { cache: 'no-cache' }));
      } catch {
        // keep polling: the server may be back on the next tick
      }
      if (this.listeners.size) this.timer = setTimeout(tick, this.opts.pollMs);
    };
    this.timer = setTimeout(tick, this.opts.pollMs);
  }

  private stop() {
    this.es?.close();
    this.es = undefined;
    clearTimeout(this.timer);
    feeds.delete(`${this.api}|${this.slug}`);
  }
}

export interface LiveOptions {
  pollMs: number;
  maxStreamFailures: number;
}

const feeds = new Map<string, Feed>();

export function subscribeProgress(api: string, slug: string, fn: Listener, opts: Partial<LiveOptions> = {}): () => void {
  const key = `${api}|${slug}`;
  let feed = feeds.get(key);
  if (!feed) {
    feed = new Feed(api, slug, { pollMs: 15_000, maxStreamFailures: 3, ...opts });
    feeds.set(key, feed);
  }
  return feed.add(fn);
}
