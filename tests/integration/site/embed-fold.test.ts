import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_CACHE_CONTROL } from '../../../server/campaigns/fast-read.js';
import { ProgressCache } from '../../../server/campaigns/progress-cache.js';
import { createEmbedFolder, EMBED_BUDGET_GZIP, MAX_FOLDED, REBUILD_BURST, REBUILDS_PER_SECOND } from '../../../server/site/embed-fold.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { DIST, ensureWebBuilt } from '../../browser/helpers/build.js';

/** The map web/embed/boot.ts parses: the JSON string literal given to the first JSON.parse("{…"). */
function foldedIn(js: string): Record<string, unknown> | null {
  const at = js.indexOf('JSON.parse("{');
  if (at < 0) return null;
  const start = at + 'JSON.parse('.length;
  let i = start + 1;
  while (js[i] !== '"') i += js[i] === '\\' ? 2 : 1;
  return JSON.parse(JSON.parse(js.slice(start, i + 1)) as string) as Record<string, unknown>;
}

/** The figures (common/formatted.ts) the second JSON.parse("{…") carries. */
function figuresIn(js: string): Record<string, unknown> | null {
  const at = js.indexOf('JSON.parse("{', js.indexOf('JSON.parse("{') + 1);
  return at < 0 ? null : foldedIn(js.slice(at));
}

/** The banners' markup (server/site/embed-markup.tsx) the third JSON.parse("{…") carries. */
function markupIn(js: string): Record<string, { d: number; t: Record<string, Record<string, string> | string> }> | null {
  const second = js.indexOf('JSON.parse("{', js.indexOf('JSON.parse("{') + 1);
  const at = second < 0 ? -1 : js.indexOf('JSON.parse("{', second + 1);
  return at < 0 ? null : (foldedIn(js.slice(at)) as ReturnType<typeof markupIn>);
}

describe.each(testDatabaseKinds())('embed.js with the open campaigns’ progress folded in, on %s', (kind) => {
  let ctx: TestContext | undefined;
  beforeAll(async () => {
    await ensureWebBuilt();
  }, 600_000);
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  const start = async () => {
    const clock = fakeClock('2026-12-05T10:00:00Z');
    ctx = await createTestContext(kind, { clock });
    return { ctx, clock };
  };
  const give = async (c: TestContext, campaign: { id: number; currency: string; slug: string }, amount: number) => {
    const gift = await makeGift(c.db, campaign, { amount });
    const session = checkoutSession({ ...gift, campaignSlug: campaign.slug, email: 'reader@example.org' }, { paymentIntent: sid('pi') });
    const res = await c.deliver(event('checkout.session.completed', session, Math.floor(c.clock().getTime() / 1000)));
    expect(res.status).toBe(200);
  };

  it('carries each open campaign’s progress exactly as the endpoint answers it, and revalidates with a 304', async () => {
    const { ctx: c } = await start();
    const open = await makeCampaign(c.db, { slug: 'winter-appeal' });
    await makeCampaign(c.db, { slug: 'last-year', startsAt: new Date('2025-11-01T00:00:00Z'), endsAt: new Date('2025-12-31T00:00:00Z') });
    await makeCampaign(c.db, { slug: 'next-spring', startsAt: new Date('2027-03-01T00:00:00Z'), endsAt: new Date('2027-04-01T00:00:00Z') });
    await give(c, open, 2500);

    const res = await c.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toBe(PROGRESS_CACHE_CONTROL);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const gz = Buffer.from(await res.arrayBuffer());
    expect(gz.length).toBeLessThanOrEqual(EMBED_BUDGET_GZIP);
    const js = gunzipSync(gz).toString('utf8');
    expect(js).not.toContain('__GS_FOLDED__');
    const folded = foldedIn(js);
    // Only the open campaign: not the ended one, not the one that has not started.
    expect(Object.keys(folded ?? {})).toEqual(['winter-appeal']);
    const api = await c.app.request('/api/campaigns/winter-appeal');
    const apiText = await api.text();
    expect(JSON.stringify(folded!['winter-appeal'])).toBe(apiText);
    expect(folded!['winter-appeal']).toMatchObject({ total: 2500, donors: 1, status: 'open' });
    // Beside it, its figures as an English-speaking reader sees them, so the first render needs no Intl.
    const figures = figuresIn(js) as Record<string, Record<string, string> | string>;
    expect(figures.en).toMatchObject({ 'm|USD|0|2500': '$25', 'n|1': '1' });
    expect(figures['en-US']).toBe('en');
    expect(figures['plural:en']).toMatchObject({ '1': 'one' });

    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await c.app.request('/embed.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);

    // A gift changes the folded numbers and the ETag at once: a revalidation gets the new file.
    await give(c, open, 1000);
    const after = await c.app.request('/embed.js', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    const now = foldedIn(await after.text())!['winter-appeal'];
    expect(now).toMatchObject({ total: 3500, donors: 2 });
    expect(JSON.stringify(now)).toBe(await (await c.app.request('/api/campaigns/winter-appeal')).text());
  });

  it('carries each open campaign’s banner as its first paint shows it, per reader tag and copy variant', async () => {
    const { ctx: c } = await start();
    const open = await makeCampaign(c.db, { slug: 'winter-appeal', headline: 'Keep the lights on' });
    await give(c, open, 2500);
    const js = await (await c.app.request('/embed.js')).text();
    const markup = markupIn(js)!;
    expect(Object.keys(markup)).toEqual(['winter-appeal']);
    const m = markup['winter-appeal']!;
    // The days left it counts, by the server's clock (embed.js paints it only if the reader's agrees).
    const ends = Date.parse((foldedIn(js)!['winter-appeal'] as { endsAt: string }).endsAt);
    expect(m.d).toBe(Math.ceil((ends - c.clock().getTime()) / 86_400_000));
    const en = m.t.en as Record<string, string>;
    expect(Object.keys(en)).toEqual(['']);
    const html = en['']!;
    expect(html).toContain('<h2 class="hl" title="Keep the lights on">Keep the lights on</h2>');
    expect(html).toContain('<strong>$25</strong>');
    expect(html).toContain('1 donor');
    expect(html).toContain(`${m.d} days left`);
    expect(html).toContain('class="gs-btn"');
    // No style attribute (a strict CSP would refuse it): embed.js sets those styles through the CSSOM.
    expect(html).not.toMatch(/ style=/);
    expect(html).toMatch(/data-gs-style="transform:scaleX\(/);
    // The root names no language (embed.js sets the reader's tag), so a tag with the same words
    // names the other; British readers get their own money format, shared with Canada and Ireland.
    expect(html).toMatch(/^<div class="gs-root" dir="ltr">/);
    expect(html).not.toContain(' lang=');
    expect(m.t['en-US']).toBe('en');
    expect(m.t['en-GB']).toEqual({ '': expect.stringContaining('<strong>US$25</strong>') });
    expect(m.t['en-CA']).toBe('en-GB');
    expect(m.t['en-IE']).toBe('en-GB');
    expect(m.t['en-AU']).toEqual({ '': expect.stringMatching(/<strong>USD\s25<\/strong>/) });

    // With copy variants, one markup per variant an English reader may be given.
    const now = c.clock();
    for (const [id, headline, locale] of [
      ['vBold', 'Bold words', null],
      ['vSoft', 'Soft words', null],
      ['vSpanish', 'Palabras', 'es'],
    ] as const) {
      await c.db
        .insertInto('campaign_variants')
        .values({
          campaign_id: open.id,
          public_id: id,
          name: id,
          weight: 1,
          control: false,
          status: 'active',
          headline,
          locale,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await give(c, open, 100); // a new answer (the progress cache follows the bus)
    const withVariants = markupIn(await (await c.app.request('/embed.js')).text())!['winter-appeal']!;
    const byVariant = withVariants.t.en as Record<string, string>;
    expect(Object.keys(byVariant).sort()).toEqual(['vBold', 'vSoft']);
    expect(byVariant.vBold).toContain('>Bold words</h2>');
    expect(byVariant.vSoft).toContain('>Soft words</h2>');
  });

  it('in a storm of gifts, makes a new file a few times a second, and catches up within half a second', async () => {
    const { ctx: c } = await start();
    const open = await makeCampaign(c.db, { slug: 'year-end' });
    await makeCampaign(c.db, { slug: 'spring-drive' });
    const etags = new Set<string>();
    const gifts = 3 * REBUILD_BURST;
    const began = performance.now();
    for (let i = 0; i < gifts; i++) {
      await give(c, open, 100);
      const res = await c.app.request('/embed.js');
      etags.add(res.headers.get('etag')!);
      // Whatever file is served, it is whole and its ETag is its own body's.
      const folded = foldedIn(await res.text())!;
      expect(Object.keys(folded).sort()).toEqual(['spring-drive', 'year-end']);
    }
    const seconds = (performance.now() - began) / 1000;
    // Every gift changed the answer; new files were rationed all the same.
    expect(etags.size).toBeLessThanOrEqual(REBUILD_BURST + Math.ceil(seconds * REBUILDS_PER_SECOND) + 1);
    // Once a rebuild is allowed again, the file carries the last gift.
    await new Promise((r) => setTimeout(r, 1000 / REBUILDS_PER_SECOND + 50));
    const now = foldedIn(await (await c.app.request('/embed.js')).text())!['year-end'];
    expect(now).toMatchObject({ total: 100 * gifts, donors: gifts });
    expect(JSON.stringify(now)).toBe(await (await c.app.request('/api/campaigns/year-end')).text());
  });

  it('asks the progress cache nothing while no new file may be made', async () => {
    const { ctx: c } = await start();
    const open = await makeCampaign(c.db, { slug: 'year-end' });
    const cache = new ProgressCache(c.db, c.bus, c.clock);
    let asked = 0;
    const counting = { get: (slug: string) => (asked++, cache.get(slug)) } as unknown as ProgressCache;
    let t = 0;
    const fold = createEmbedFolder(c.db, counting, c.clock, () => t);
    const built = { body: readFileSync(path.join(DIST, 'embed.js')), etag: '"as-built"' };
    const totalIn = (file: Awaited<ReturnType<typeof fold>>) =>
      (foldedIn(file!.body.toString('utf8'))!['year-end'] as { total: number }).total;
    try {
      for (let i = 1; i <= REBUILD_BURST; i++) {
        await give(c, open, 100);
        expect(totalIn(await fold(built))).toBe(100 * i);
      }
      // The allowance is spent: more gifts, the same file, and not one load of progress.
      const spent = await fold(built);
      const before = asked;
      await give(c, open, 100);
      expect(await fold(built)).toBe(spent);
      expect(asked).toBe(before);
      // Half a second later, the file carries every gift.
      t += 1000 / REBUILDS_PER_SECOND;
      expect(totalIn(await fold(built))).toBe(100 * (REBUILD_BURST + 1));
      // A new build of the code is served at once, whatever the allowance.
      const rebuilt = await fold({ ...built, etag: '"new-build"' });
      expect(rebuilt).not.toBe(spent);
    } finally {
      cache.close();
    }
  });

  it('serves the last file to other readers while one request makes the next', async () => {
    const { ctx: c } = await start();
    const open = await makeCampaign(c.db, { slug: 'year-end' });
    const cache = new ProgressCache(c.db, c.bus, c.clock);
    let asked = 0;
    let gate: Promise<void> | undefined;
    const slow = {
      get: async (slug: string) => {
        asked++;
        await gate;
        return cache.get(slug);
      },
    } as unknown as ProgressCache;
    const fold = createEmbedFolder(c.db, slow, c.clock);
    const built = { body: readFileSync(path.join(DIST, 'embed.js')), etag: '"as-built"' };
    const totalIn = (file: Awaited<ReturnType<typeof fold>>) =>
      (foldedIn(file!.body.toString('utf8'))!['year-end'] as { total: number }).total;
    try {
      await give(c, open, 700);
      const first = await fold(built);
      expect(totalIn(first)).toBe(700);
      await give(c, open, 300);
      let release = () => {};
      gate = new Promise((r) => {
        release = r;
      });
      const making = fold(built);
      // Another reader meanwhile: the last file at once.
      expect(await fold(built)).toBe(first);
      release();
      expect(totalIn(await making)).toBe(1000);
      // Asked once for each file made, never for the reader served meanwhile.
      expect(asked).toBe(2);
    } finally {
      cache.close();
    }
  });

  it('is served as built (five minutes of caching) when no campaign is open or too many are', async () => {
    const { ctx: c, clock } = await start();
    const none = await c.app.request('/embed.js');
    expect(none.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await none.text()).toContain('__GS_FOLDED__');

    for (let i = 0; i <= MAX_FOLDED; i++) await makeCampaign(c.db, { slug: `drive-${i}` });
    clock.advance(6_000); // past the reuse of the open-campaign list
    const many = await c.app.request('/embed.js');
    expect(many.headers.get('cache-control')).toBe('public, max-age=300');
    const text = await many.text();
    expect(text).toContain('__GS_FOLDED__');
    expect(foldedIn(text)).toBeNull();
  });

  it('folds only as many campaigns as keep the served file inside the 16 KiB gzip budget', async () => {
    const { ctx: c } = await start();
    // Long, varied appeals: all of them together would not fit beside the code.
    for (let i = 0; i < MAX_FOLDED; i++) {
      await makeCampaign(c.db, {
        slug: `appeal-${i}`,
        message: Array.from({ length: 120 }, (_, k) => `${sid('w')}${i * 121 + k}`).join(' '),
      });
    }
    const res = await c.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip' } });
    const gz = Buffer.from(await res.arrayBuffer());
    expect(gz.length).toBeLessThanOrEqual(EMBED_BUDGET_GZIP);
    const folded = foldedIn(gunzipSync(gz).toString('utf8'));
    expect(folded).not.toBeNull();
    const n = Object.keys(folded!).length;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThan(MAX_FOLDED);
    // The newest first.
    expect(Object.keys(folded!)[0]).toBe(`appeal-${MAX_FOLDED - 1}`);
  });
});
