import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteRoutes } from '../../../server/site/routes.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { ensureWebBuilt } from '../../browser/helpers/build.js';

describe.each(testDatabaseKinds())('site routes on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    await ensureWebBuilt();
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    await makeCampaign(ctx.db, { slug: 'spring-drive' });
  });
  afterAll(async () => ctx?.close());

  it('serves /embed.js to any origin, gzipped when asked, revalidated by ETag', async () => {
    const res = await ctx.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // spring-drive is open: its progress is folded in, so the file is cached like the progress
    // endpoint (tests/integration/site/embed-fold.test.ts); as built it is five minutes.
    expect(res.headers.get('cache-control')).toBe('public, max-age=5, stale-while-revalidate=30');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    const again = await ctx.app.request('/embed.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const plain = await ctx.app.request('/embed.js');
    // V8 compiles every function while the file downloads (web/vite.embed.config.ts).
    expect(await plain.text()).toMatch(/^\/\/# allFunctionsCalledOnLoad\n\(function\(\)\{/);
  });

  it('serves a new build of a file within about a second, without a restart', async () => {
    const dist = await mkdtemp(path.join(tmpdir(), 'gs-dist-'));
    try {
      const file = path.join(dist, 'embed-app.js');
      await writeFile(file, 'console.log("first build");');
      const site = siteRoutes(ctx.app.deps, { distDir: dist });
      const read = async () => (await site.request('/embed-app.js')).text();
      expect(await read()).toBe('console.log("first build");');
      await writeFile(file, 'console.log("second build");');
      const later = new Date(Date.now() + 60_000);
      await utimes(file, later, later);
      // Served as built again within about a second (RECHECK_MS); the wait is bounded generously
      // for a busy machine, and a file that is never looked at again fails it.
      let body = await read();
      for (let i = 0; i < 100 && body.includes('first'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        body = await read();
      }
      expect(body).toBe('console.log("second build");');
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });

  it('serves the widget catalogs beyond English as embed-<lang>.json to any origin (issue 14)', async () => {
    for (const lang of ['es', 'fr', 'de', 'ar']) {
      const res = await ctx.app.request(`/embed-${lang}.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const body = (await res.json()) as Record<string, unknown>;
      expect(typeof body.donate).toBe('string'); // the banner's words
      expect(typeof body.otherAmount).toBe('string'); // and the dialog's
      expect(body.thanksTitle).toBeUndefined(); // not the pages'
    }
    expect((await ctx.app.request('/embed-en.json')).status).toBe(404);
    expect((await ctx.app.request('/embed-it.json')).status).toBe(404);
  });

  it('serves the pages with their campaign, and built assets as immutable', async () => {
    const demo = await ctx.app.request('/');
    expect(demo.status).toBe(200);
    const html = await demo.text();
    // No "year-end" demo campaign here: the newest campaign is shown.
    expect(html).toContain('data-campaign="spring-drive"');
    expect(html).not.toContain('__GS_CAMPAIGN__');
    expect(demo.headers.get('content-security-policy')).toContain("script-src 'self'");
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const a = await ctx.app.request(asset);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toContain('immutable');

    expect((await ctx.app.request('/?campaign=other-one')).status).toBe(200);
    expect(await (await ctx.app.request('/?campaign=other-one')).text()).toContain('data-campaign="other-one"');
    expect(await (await ctx.app.request('/?campaign=%22%3E%3Cscript%3E')).text()).toContain('data-campaign="spring-drive"');

    expect((await ctx.app.request('/donate/spring-drive')).status).toBe(200);
    expect((await ctx.app.request('/donate/no-such-thing')).status).toBe(404);
    expect((await ctx.app.request('/thanks?session_id=cs_x')).status).toBe(200);
    expect((await ctx.app.request('/assets/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await ctx.app.request('/assets/nope.js')).status).toBe(404);
  });

  it('GET /api/checkout-sessions/:id says processing until the webhook lands, then paid', async () => {
    const res = await ctx.app.request('/api/campaigns/spring-drive/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, frequency: 'monthly', coverFees: false }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const before = await ctx.app.request(`/api/checkout-sessions/${id}`);
    expect(before.status).toBe(200);
    expect(before.headers.get('cache-control')).toBe('no-store');
    expect(await before.json()).toMatchObject({
      status: 'processing',
      amount: 2500,
      frequency: 'monthly',
      campaign: { slug: 'spring-drive' },
    });
    await ctx.emulator.completeCheckout(id);
    await ctx.emulator.flush();
    expect(await (await ctx.app.request(`/api/checkout-sessions/${id}`)).json()).toMatchObject({
      status: 'paid',
      amount: 2500,
      chargeAmount: 2500,
      currency: 'USD',
    });
    expect((await ctx.app.request('/api/checkout-sessions/cs_test_unknown')).status).toBe(404);
    expect((await ctx.app.request('/api/checkout-sessions/a%20b')).status).toBe(400);
  });
});
