import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { makeCampaign } from '../../helpers/factories.js';

/** One consistent set of headers per surface (server/lib/security-headers.ts). */
describe.each([
  ['http://localhost:3000', false],
  ['https://give.example.org', true],
])('security headers with PUBLIC_URL=%s', (publicUrl, https) => {
  let ctx: TestContext;
  let sessionUrl: string;
  beforeAll(async () => {
    ctx = await createTestContext('pglite', { env: { PUBLIC_URL: publicUrl } });
    await makeCampaign(ctx.db, { slug: 'year-end' });
    const res = await ctx.app.request('/api/campaigns/year-end/checkout', {
      method: 'POST',
      body: JSON.stringify({ amount: 1000, frequency: 'once' }),
      headers: { 'content-type': 'application/json' },
    });
    sessionUrl = new URL(((await res.json()) as { url: string }).url).pathname;
  });
  afterAll(async () => ctx?.close());

  const get = (path: string) => ctx.app.request(path);
  const csp = (h: Headers) =>
    Object.fromEntries(
      (h.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );

  it.each(['/api/campaigns/year-end', '/api/campaigns/year-end/donors', '/api/campaigns/nope', '/embed.js', '/healthz'])(
    'public %s is usable cross-origin',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBeLessThan(600);
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBeNull();
      expect(res.headers.has('strict-transport-security')).toBe(https);
    },
  );

  it.each(['/admin', '/admin/campaigns/year-end', '/api/admin/me', '/api/admin/campaigns'])('console %s is never framed', async (path) => {
    const res = await get(path);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const p = csp(res.headers);
    expect(p['frame-ancestors']).toEqual(["'none'"]);
    expect(p['default-src']).toEqual(["'self'"]);
    expect(p['script-src']).toEqual(["'self'"]);
    expect(p['object-src']).toEqual(["'none'"]);
    expect(res.headers.has('strict-transport-security')).toBe(https);
  });

  it('emulator pages are never framed and run no script', async () => {
    for (const path of [sessionUrl, '/emulator']) {
      const res = await get(path);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      const p = csp(res.headers);
      expect(p['frame-ancestors']).toEqual(["'none'"]);
      expect(p['default-src']).toEqual(["'none'"]);
      expect(p['script-src']).toEqual(["'none'"]);
      expect(res.headers.has('strict-transport-security')).toBe(https);
    }
  });

  it.each(['/', '/donate/year-end', '/thanks'])('page %s keeps its own CSP and gets the rest', async (path) => {
    const res = await get(path);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.has('strict-transport-security')).toBe(https);
  });
});
