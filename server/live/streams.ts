import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Header, PUBLIC_READ_CORS, asSent, requestIdFor } from '../campaigns/fast-read.js';
import type { CachedProgress, ProgressCache } from '../campaigns/progress-cache.js';
import type { ProgressBus } from './bus.js';

/**
 * The open event streams (GET /api/campaigns/:slug/stream) of this instance, grouped by
 * campaign. A change on the bus (from any instance) reloads the campaign's progress once for the
 * group and writes one precomputed event to every viewer: no per-viewer subscription, promise,
 * timer or Web stream, so 10,000 open banners cost little more than their sockets (bench).
 *
 * A viewer is a node:http response (real servers) or a Web stream (app.request in tests); both
 * get the same bytes. Heartbeats (25 s, one timer for all) keep proxies from closing idle
 * streams; a viewer that does not read (megabytes queued) is ended and reconnects.
 */

const HEARTBEAT_MS = 25_000;
/**
 * At most one update per campaign in this long: in a storm of gifts, everything that arrived
 * meanwhile goes out in the next one. Without it the group reloads and writes to every viewer
 * back to back (one reload per event): 3,000 viewers during a webhook storm took the webhooks
 * from 695 to 69 events/s (bench/mixed-probe.ts). A single gift still goes out at once.
 */
export const MIN_UPDATE_GAP_MS = 250;
const MAX_QUEUED_BYTES = 256 * 1024;

/** One event's bytes: as they are (a Web stream) and framed as one HTTP/1.1 chunk (a socket). */
interface Frame {
  raw: Buffer;
  chunked: Buffer;
}

const frame = (raw: Buffer): Frame => ({
  raw,
  chunked: Buffer.concat([Buffer.from(`${raw.length.toString(16)}\r\n`), raw, Buffer.from('\r\n')]),
});

const KEEP_ALIVE = frame(Buffer.from(': keep-alive\n\n'));

interface Viewer {
  write(frame: Frame): void;
  /** Bytes written but not yet taken by the client. */
  queued(): number;
  end(): void;
  /** The body of the last progress event written. */
  sent: string;
}

interface Group {
  slug: string;
  campaignId: number;
  viewers: Set<Viewer>;
  loading: boolean;
  again: boolean;
  /** When the last update was written (performance.now()). */
  updatedAt: number;
}

/** The stream's response headers besides the public ones, as the framework sent them. */
const STREAM_HEADERS: Header[] = [
  ['Content-Type', 'text/event-stream'],
  ['Cache-Control', 'no-cache'],
  ['Connection', 'keep-alive'],
  ['Transfer-Encoding', 'chunked'],
  ['X-Accel-Buffering', 'no'],
];
export { STREAM_HEADERS };

const STREAM_PREFIX = '/api/campaigns/';
const STREAM_SUFFIX = '/stream';

export class ProgressStreams {
  private groups = new Map<string, Group>();
  private events = new WeakMap<CachedProgress, Frame>();
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: () => void;
  private rawHead: string[];
  private ending = false;

  constructor(
    private cache: ProgressCache,
    bus: ProgressBus,
    publicHeaders: readonly Header[],
  ) {
    // Subscribed after the cache (created first): its entry is already dropped when we reload.
    this.unsubscribe = bus.subscribe((campaignId) => {
      for (const g of this.groups.values()) if (campaignId === 0 || campaignId === g.campaignId) void this.refresh(g);
    });
    this.rawHead = asSent([...publicHeaders, ...PUBLIC_READ_CORS, ...STREAM_HEADERS]);
  }

  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.viewers.size;
    return n;
  }

  private event(entry: CachedProgress): Frame {
    let f = this.events.get(entry);
    if (!f) {
      f = frame(Buffer.from(`event: progress\ndata: ${entry.body}\nid: ${entry.etag.replaceAll('"', '')}\n\n`));
      this.events.set(entry, f);
    }
    return f;
  }

  /** The fast path for a fresh cached campaign; false leaves the request to the framework. */
  fastStream = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url;
    if (req.method !== 'GET' || !url || !url.startsWith(STREAM_PREFIX) || !url.endsWith(STREAM_SUFFIX)) return false;
    const slug = url.slice(STREAM_PREFIX.length, -STREAM_SUFFIX.length);
    if (!slug || /[/?%#]/.test(slug)) return false;
    const entry = this.cache.peek(slug);
    if (!entry) return false;
    this.openNode(res, slug, entry, requestIdFor(req));
    return true;
  };

  /**
   * A node:http response becomes a viewer (headers written here). Once the head and the first
   * event have gone through the response, later events go straight to its socket as one
   * precomputed chunk each (the same bytes res.write would send, in one write instead of four
   * plus a cork): the broadcast to 10,000 viewers is a loop of socket writes. A response still
   * waiting for its socket (HTTP pipelining) keeps writing through res.
   */
  openNode(res: ServerResponse, slug: string, entry: CachedProgress, requestId: string): void {
    res.writeHead(200, [...this.rawHead, 'x-request-id', requestId]);
    const socket = res.socket;
    const viewer: Viewer = {
      write: socket
        ? (f) => {
            if (!socket.destroyed) socket.write(f.chunked);
          }
        : (f) => void res.write(f.raw),
      queued: () => res.writableLength,
      end: () => res.end(),
      sent: '',
    };
    // The head goes out with the first event, through res (it frames and sends the head).
    const first = this.event(entry);
    res.write(first.raw);
    viewer.sent = entry.body;
    res.on('close', () => this.remove(slug, viewer));
    this.add(slug, entry, viewer);
  }

  /** A Web stream viewer (no socket: app.request); the caller sets the headers. */
  openWeb(slug: string, entry: CachedProgress): ReadableStream<Uint8Array> {
    let viewer: Viewer | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        viewer = {
          write: (f) => !closed && controller.enqueue(new Uint8Array(f.raw)),
          queued: () => Math.max(0, -(controller.desiredSize ?? 0)),
          end: () => {
            if (closed) return;
            closed = true;
            controller.close();
            this.remove(slug, viewer!);
          },
          sent: '',
        };
        this.add(slug, entry, viewer);
      },
      cancel: () => {
        if (viewer) this.remove(slug, viewer);
      },
    });
  }

  private add(slug: string, entry: CachedProgress, viewer: Viewer) {
    if (this.ending) return viewer.end();
    let g = this.groups.get(slug);
    if (!g) {
      g = { slug, campaignId: entry.campaignId, viewers: new Set(), loading: false, again: false, updatedAt: -Infinity };
      this.groups.set(slug, g);
    }
    g.viewers.add(viewer);
    if (viewer.sent !== entry.body) {
      viewer.write(this.event(entry));
      viewer.sent = entry.body;
    }
    // A change between the load of `entry` and now dropped it from the cache: catch up.
    if (this.cache.peek(slug) !== entry) void this.refresh(g);
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  private remove(slug: string, viewer: Viewer) {
    const g = this.groups.get(slug);
    if (!g?.viewers.delete(viewer)) return;
    if (g.viewers.size === 0 && !g.loading) this.groups.delete(slug);
    if (this.groups.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** One reload per group however many notifications arrive meanwhile; then one write each. */
  private async refresh(g: Group): Promise<void> {
    if (g.loading) {
      g.again = true;
      return;
    }
    g.loading = true;
    try {
      do {
        const wait = g.updatedAt + MIN_UPDATE_GAP_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
        g.again = false;
        let entry: CachedProgress;
        try {
          entry = await this.cache.get(g.slug);
        } catch {
          return; // the campaign is gone or the database is down: the next notification retries
        }
        g.campaignId = entry.campaignId;
        const chunk = this.event(entry);
        for (const v of g.viewers) {
          if (v.sent === entry.body) continue;
          if (v.queued() > MAX_QUEUED_BYTES) {
            v.end();
            continue;
          }
          v.write(chunk);
          v.sent = entry.body;
        }
        g.updatedAt = performance.now();
      } while (g.again);
    } finally {
      g.loading = false;
      if (g.viewers.size === 0) this.groups.delete(g.slug);
    }
  }

  private beat() {
    for (const g of this.groups.values())
      for (const v of g.viewers) {
        if (v.queued() > MAX_QUEUED_BYTES) v.end();
        else v.write(KEEP_ALIVE);
      }
  }

  /** Shutdown: ends every stream (banners reconnect, to another instance if need be). */
  endAll() {
    this.ending = true;
    for (const g of [...this.groups.values()]) for (const v of [...g.viewers]) v.end();
  }

  close() {
    this.unsubscribe();
    if (this.heartbeat) clearInterval(this.heartbeat);
  }
}
