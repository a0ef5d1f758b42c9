import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteRoutes } from '../../../server/site/routes.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

describe.each(testDatabaseKinds())('returning the donor after Checkout on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  let dist: string;
  let pages: ReturnType<typeof siteRoutes>;
  const slug = 'year-end';
  beforeAll(async () => {
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { CHECKOUT_RATE_LIMIT: '1000', PUBLIC_URL: 'https://give.example.org' },
    });
    admin = await signIn(ctx);
    await makeCampaign(ctx.db, { slug });
    // The built pages, reduced to the placeholder the server fills in.
    dist = await mkdtemp(path.join(tmpdir(), 'gs-pages-'));
    await mkdir(path.join(dist, 'pages'));
    for (const name of ['thanks', 'donate']) {
      await writeFile(path.join(dist, 'pages', `${name}.html`), '<meta name="gs-return" content="__GS_RETURN__">');
    }
    pages = siteRoutes(ctx.app.deps, { distDir: dist });
  });
  afterAll(async () => {
    await ctx?.close();
    await rm(dist, { recursive: true, force: true });
  });

  const checkout = async (extra: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      body: JSON.stringify({ amount: 1000, frequency: 'once', ...extra }),
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const s = await ctx.stripe.checkout.sessions.retrieve(id);
    const ret = (u: string | null) => new URL(u!.replace('{CHECKOUT_SESSION_ID}', id)).searchParams.get('return');
    return { id, success: ret(s.success_url), cancel: ret(s.cancel_url), urls: `${s.success_url} ${s.cancel_url}` };
  };

  it('accepts only origins as allowed embedding sites', async () => {
    for (const bad of [
      'https://news.example.org/path',
      'news.example.org',
      'javascript:alert(1)',
      'https://user:pw@news.example.org',
      'ftp://news.example.org',
    ]) {
      const res = await admin.req(`/campaigns/${slug}`, { method: 'PATCH', body: { allowedOrigins: [bad] } });
      expect(res.status, bad).toBe(400);
    }
    const ok = await admin.json(`/campaigns/${slug}`, {
      method: 'PATCH',
      body: { allowedOrigins: ['https://News.Example.org', 'http://localhost:8080'] },
    });
    expect(ok.allowedOrigins).toEqual(['https://news.example.org', 'http://localhost:8080']);
  });

  it('keeps origin + path of an allowed page, never its query or fragment', async () => {
    const r = await checkout({ returnTo: 'https://news.example.org/2026/story?reset_token=s3cret&utm_campaign=x#comments' });
    expect(r.success).toBe('https://news.example.org/2026/story');
    expect(r.cancel).toBe('https://news.example.org/2026/story');
    expect(r.urls).not.toMatch(/s3cret|utm_campaign|comments/);
  });

  it('strips a full Referer the same way (older embeds)', async () => {
    const r = await checkout({}, { referer: 'https://news.example.org/article?token=abc#x' });
    expect(r.success).toBe('https://news.example.org/article');
    expect(r.urls).not.toContain('token');
  });

  it('returns nobody to an origin the organisation did not allow; our own origin is always allowed', async () => {
    expect((await checkout({ returnTo: 'https://evil.example/phish' })).success).toBeNull();
    expect((await checkout({}, { referer: 'https://evil.example/phish' })).cancel).toBeNull();
    expect((await checkout({ returnTo: 'https://give.example.org/donate/year-end?x=1' })).success).toBe(
      'https://give.example.org/donate/year-end',
    );
  });

  it('the "Back to ..." link of /thanks and /donate never shows an arbitrary domain', async () => {
    const { id } = await checkout({ returnTo: 'https://news.example.org/a' });
    const meta = async (url: string) => /content="([^"]*)"/.exec(await (await pages.request(url)).text())![1];
    const q = (u: string) => encodeURIComponent(u);
    expect(await meta(`/thanks?session_id=${id}&return=${q('https://news.example.org/a')}`)).toBe('https://news.example.org/a');
    expect(await meta(`/thanks?session_id=${id}&return=${q('https://evil.example/a')}`)).toBe('');
    expect(await meta(`/thanks?session_id=${id}&return=${q('https://news.example.org.evil.example/a')}`)).toBe('');
    expect(await meta(`/thanks?return=${q('https://news.example.org/a')}`)).toBe(''); // no session: no campaign to vouch for it
    expect(await meta(`/donate/${slug}?canceled=1&return=${q('https://news.example.org/a?t=1')}`)).toBe('https://news.example.org/a');
    expect(await meta(`/donate/${slug}?canceled=1&return=${q('javascript:alert(1)')}`)).toBe('');
    expect(await meta(`/donate/${slug}?canceled=1&return=${q('https://evil.example/')}`)).toBe('');
    expect(await meta(`/donate/${slug}?canceled=1&return=${q('"><script>alert(1)</script>')}`)).toBe('');
  });
});
