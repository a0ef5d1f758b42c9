import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ProgressBus } from '../live/bus.js';
import type { Config } from '../config.js';
import { progressExtras } from '../giving/extras.js';
import { progressVariants } from '../variants/service.js';
import { progressCopy } from '../languages/translations.js';
import { type Progress, getCampaign, toProgress } from './service.js';

export interface CachedProgress {
  campaignId: number;
  progress: Progress;
  body: string;
  etag: string;
  loadedAt: number;
}

/**
 * The progress endpoint is what every page view of every embedding site hits, so each instance
 * keeps the serialised answer per campaign and drops it when the bus says the totals changed
 * (on any instance). A short TTL bounds staleness of time-derived fields (status) and covers
 * a missed notification while the listener reconnects.
 */
export class ProgressCache {
  private bySlug = new Map<string, CachedProgress>();
  private inflight = new Map<string, Promise<CachedProgress>>();
  private unsubscribe: () => void;
  /**
   * Invalidations are numbered: a load that started before one that concerns its campaign (or
   * every campaign) must not store its result. Per campaign, so a storm of gifts to one campaign
   * does not make every other campaign's loads start over (each is a handful of queries).
   */
  private seq = 0;
  private allAt = 0;
  private campaignAt = new Map<number, number>();
  /** The campaign each slug loaded as: which in-flight loads an invalidation concerns. */
  private idBySlug = new Map<string, number>();

  constructor(
    private db: Kysely<Database>,
    bus: ProgressBus,
    private clock: () => Date,
    private ttlMs = 5_000,
    /** Money is not live: the public JSON says `testMode: true` so the widget can say TEST MODE. */
    private opts: {
      testMode?: boolean;
      /** What the appeal says about tax: the organisation's status, read with each load. */
      tax?: () => Promise<NonNullable<Progress['tax']>>;
      captcha?: Config['cardTesting']['captcha'];
    } = {},
  ) {
    this.unsubscribe = bus.subscribe((campaignId) => this.invalidate(campaignId));
  }

  invalidate(campaignId: number) {
    const at = ++this.seq;
    if (campaignId === 0) {
      this.allAt = at;
      this.inflight.clear();
      return this.bySlug.clear();
    }
    this.campaignAt.set(campaignId, at);
    for (const [slug, entry] of this.bySlug) if (entry.campaignId === campaignId) this.bySlug.delete(slug);
    // A reader asking after this must not join a load that began before it (read-your-writes);
    // a slug never loaded yet could be this campaign's too.
    for (const slug of [...this.inflight.keys()]) {
      const id = this.idBySlug.get(slug);
      if (id === undefined || id === campaignId) this.inflight.delete(slug);
    }
  }

  /** The entry if it is loaded and fresh, without waiting: what the fast read path serves. */
  peek(slug: string): CachedProgress | undefined {
    const hit = this.bySlug.get(slug);
    return hit && this.clock().getTime() - hit.loadedAt < this.ttlMs ? hit : undefined;
  }

  async get(slug: string): Promise<CachedProgress> {
    const hit = this.peek(slug);
    if (hit) return hit;
    let pending = this.inflight.get(slug);
    if (!pending) {
      const p = this.load(slug).finally(() => {
        if (this.inflight.get(slug) === p) this.inflight.delete(slug);
      });
      pending = p;
      this.inflight.set(slug, p);
    }
    return pending;
  }

  private async load(slug: string): Promise<CachedProgress> {
    const started = this.seq;
    const now = this.clock();
    const [c, tax] = await Promise.all([getCampaign(this.db, slug), this.opts.tax?.()]);
    const [extras, variants, copy] = await Promise.all([
      progressExtras(this.db, c, now, this.opts.captcha ?? null),
      progressVariants(this.db, c.id),
      progressCopy(this.db, c.id),
    ]);
    const progress: Progress = {
      ...toProgress(c, now, extras),
      ...variants,
      ...copy,
      ...(this.opts.testMode && { testMode: true as const }),
      ...(tax && { tax }),
    };
    const body = JSON.stringify(progress);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
    const entry = { campaignId: c.id, progress, body, etag, loadedAt: this.clock().getTime() };
    this.idBySlug.set(slug, c.id);
    if (this.allAt <= started && (this.campaignAt.get(c.id) ?? 0) <= started) this.bySlug.set(slug, entry);
    return entry;
  }

  close() {
    this.unsubscribe();
  }
}
