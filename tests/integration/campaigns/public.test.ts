import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../db/connect.js';
import { createApp } from '../../../server/app.js';
import { createPgBus } from '../../../server/live/bus.js';
import { createLogger } from '../../../server/logger.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';

const T = Date.parse('2026-12-05T10:00:00Z') / 1000;

/**
 * Reads the progress events of a Server-Sent Events response one at a time, as they arrive. No
 * deadline of its own: a missing event ends the test at the vitest timeout.
 */
function progressEvents(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const queue: Array<Record<string, number | string>> = [];
  let buf = '';
  return {
    async next(): Promise<Record<string, number | string>> {
      while (queue.length === 0) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the stream ended');
        buf += decoder.decode(chunk.value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (/^event: progress$/m.test(block)) queue.push(JSON.parse(block.match(/^data: (.*)$/m)![1]!));
        }
      }
      return queue.shift()!;
    },
    close: () => reader.cancel(),
  };
}

describe.each(testDatabaseKinds())('public campaign reads on %s', (kind) => {
  let ctx: TestContext;
  let c: Awaited<ReturnType<typeof makeCampaign>>;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:05:00Z') });
    c = await makeCampaign(ctx.db, { slug: 'year-end', goal: 10_000, match: { ratio: { ppm: 1_000_000 }, cap: 500 } });
  });
  afterAll(async () => ctx?.close());

  async function give(
    amount: number,
    over: { email?: string | null; name?: string | null; anonymous?: boolean; comment?: string | null } = {},
  ) {
    const g = await makeGift(ctx.db, c, { amount, ...over });
    const res = await ctx.deliver(
      event(
        'checkout.session.completed',
        checkoutSession({ id: g.id, amount, campaignSlug: c.slug, email: over.email ?? null }, { paymentIntent: sid('pi') }),
        T,
      ),
    );
    expect(res.status).toBe(200);
  }

  it('GET /api/campaigns/:slug returns the progress contract with ETag, CORS and 304', async () => {
    const res = await ctx.app.request('/api/campaigns/year-end', { headers: { Origin: 'https://news.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toContain('max-age');
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'slug',
        'title',
        'headline',
        'message',
        'currency',
        'goal',
        'raised',
        'matched',
        'total',
        'percent',
        'donors',
        'donations',
        'startsAt',
        'endsAt',
        'status',
        'presets',
        'match',
        'fees',
        'testMode',
        'tax',
        // SPEC §13: stretch goals, the payments breaker, other ways to give, the follow-on campaign.
        'goals',
        'reachedGoal',
        'payments',
        'otherWays',
        'pledgeDays',
        // Issue 14: the frequency cap the widget counts in the host page's storage (null: uncapped).
        'frequency',
        'followOn',
        // SPEC §13 "Variants": the active copy variants, [] when the campaign tests none.
        'variants',
      ].sort(),
    );
    expect(body.variants).toEqual([]);
    // No tax status chosen: the appeal makes no claim either way.
    expect(body.tax).toEqual({ deductible: null, notice: {} });
    // testMode: the test context runs on the emulator (absent with a live key: site/test-mode.test.ts).
    expect(body).toMatchObject({
      slug: 'year-end',
      currency: 'USD',
      goal: 10_000,
      status: 'open',
      match: { ratio: 1, cap: 500 },
      testMode: true,
    });
    const etag = res.headers.get('etag')!;
    const again = await ctx.app.request('/api/campaigns/year-end', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect((await ctx.app.request('/api/campaigns/nope')).status).toBe(404);
    expect((await ctx.app.request('/api/campaigns/Bad%20Slug!')).status).toBe(400);
  });

  it('lets pages on any origin read progress and start a checkout (CORS preflight)', async () => {
    const pre = await ctx.app.request('/api/campaigns/year-end/checkout', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://news.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    const post = await ctx.app.request('/api/campaigns/year-end/checkout', {
      method: 'POST',
      headers: { Origin: 'https://news.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.headers.get('access-control-allow-origin')).toBe('*');
    expect(post.headers.get('access-control-expose-headers')).toContain('Retry-After');
    const get = await ctx.app.request('/api/campaigns/year-end/donors', { headers: { Origin: 'https://news.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('matched is capped, percent may pass 100, and a change invalidates the cached answer', async () => {
    await give(9000, { email: 'one@example.org' });
    const p = (await (await ctx.app.request('/api/campaigns/year-end')).json()) as Record<string, number>;
    expect(p).toMatchObject({ raised: 9000, matched: 500, total: 9500, percent: 95, donors: 1, donations: 1 });
    await give(2000, { email: 'two@example.org' });
    const q = (await (await ctx.app.request('/api/campaigns/year-end')).json()) as Record<string, number>;
    expect(q).toMatchObject({ raised: 11_000, matched: 500, total: 11_500, percent: 115, donors: 2 });
  });

  it('the donor wall shows names or "Anonymous", never e-mails, text as given', async () => {
    await give(1000, { email: 'secret@example.org', name: '<b>Bold</b> & "quoted"', comment: '<script>alert(1)</script>' });
    await give(1000, { email: 'hidden@example.org', name: 'Would Be Hidden', anonymous: true });
    const res = await ctx.app.request('/api/campaigns/year-end/donors?limit=2');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('@example.org');
    const { donors } = JSON.parse(text) as { donors: Array<{ name: string; comment: string | null; amount: number }> };
    expect(donors).toHaveLength(2);
    expect(donors[0]).toMatchObject({ name: 'Anonymous', amount: 1000 });
    expect(donors[1]).toMatchObject({ name: '<b>Bold</b> & "quoted"', comment: '<script>alert(1)</script>' });
    expect((await ctx.app.request('/api/campaigns/year-end/donors?limit=5000')).status).toBe(400);
  });

  it('the stream sends progress on connect and after every change', async () => {
    const res = await ctx.app.request('/api/campaigns/year-end/stream');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = progressEvents(res);
    // The stream subscribes to changes before it sends its first event.
    const first = await events.next();
    const before = (await (await ctx.app.request('/api/campaigns/year-end')).json()) as { raised: number };
    await give(777, { email: 'live@example.org' });
    const second = await events.next();
    await events.close();
    expect(first.raised).toBe(before.raised);
    expect(second.raised).toBe(before.raised + 777);
  });

  it.runIf(kind === 'postgres')('fans a change out to the stream of another server instance', async () => {
    // A second instance: its own pool and its own LISTEN connection on the same database.
    const handle = await connect({ databaseUrl: ctx.database.url!, dataDir: '' });
    const bus = createPgBus(ctx.database.url!, createLogger('silent'));
    // The bus tells its subscribers "anything may have changed" (0) once its LISTEN is in place.
    const listening = new Promise<void>((resolve) => {
      const off = bus.subscribe((id) => id === 0 && (off(), resolve()));
    });
    const other = createApp({ db: handle.db, stripe: ctx.stripe, config: ctx.config, clock: ctx.clock, bus, log: createLogger('silent') });
    try {
      await listening;
      const res = await other.request('/api/campaigns/year-end/stream');
      const events = progressEvents(res);
      await events.next();
      const before = (await (await other.request('/api/campaigns/year-end')).json()) as { raised: number };
      await give(1234, { email: 'elsewhere@example.org' }); // taken by the first instance
      const got = await events.next();
      await events.close();
      expect(got.raised).toBe(before.raised + 1234);
      // and its cached progress answer was dropped too
      expect(((await (await other.request('/api/campaigns/year-end')).json()) as { raised: number }).raised).toBe(before.raised + 1234);
    } finally {
      other.close();
      await bus.close();
      await handle.close();
    }
  });

  it('answers /healthz and /readyz', async () => {
    expect((await ctx.app.request('/healthz')).status).toBe(200);
    expect(await (await ctx.app.request('/readyz')).json()).toMatchObject({ ok: true, database: 'up' });
  });
});
