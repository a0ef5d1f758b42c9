import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Already percent-encoded: invalid UTF-8 (a lone surrogate, an overlong NUL, stray bytes). */
const RAW = ['%ED%A0%80', '%C0%80', '%FF%FE', '%00', '%'];
const enc = (v: string) => (RAW.includes(v) ? v : /[\uD800-\uDFFF]/.test(v) ? '%ED%A0%80' : encodeURIComponent(v));

/** Values a client can put in any path segment or query parameter. */
const BAD = [
  '\u0000',
  'ada\u0000@example.org',
  '\u0007\u001b[2J',
  '\uD800',
  ...RAW,
  '%',
  '../../etc/passwd',
  'x'.repeat(5000),
  '-1',
  '1e309',
  'NaN',
  '[]',
  '{"$ne":null}',
  "' OR 1=1 --",
  '\u202Egnp.exe',
  '2026-02-30T00:00:00.000000Z',
  b64(['2026-02-30T25:61:00.000000Z', '00000000-0000-0000-0000-000000000000']),
  b64(['0000-01-01T00:00:00.000000Z', '00000000-0000-0000-0000-000000000000']),
  b64([1e15]),
  b64([-5]),
  b64('not an array'),
];
const QUERY_KEYS = [
  'q',
  'cursor',
  'limit',
  'status',
  'frequency',
  'source',
  'entity',
  'entityId',
  'campaign',
  'session_id',
  'return',
  'canceled',
  'x',
];

describe.each(testDatabaseKinds())('every route with hostile parameters on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  let routes: { method: string; path: string }[];
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '100000' } });
    admin = await signIn(ctx);
    await makeCampaign(ctx.db, { slug: 'walk' });
    const seen = new Set<string>();
    routes = ctx.app.routes
      .filter((r) => r.method !== 'ALL')
      // The emulator stands in for Stripe (its own tests); logout would end the walking session.
      .filter((r) => !r.path.startsWith('/v1') && !r.path.startsWith('/emulator') && r.path !== '/api/admin/logout')
      .filter((r) => !seen.has(`${r.method} ${r.path}`) && !!seen.add(`${r.method} ${r.path}`));
  });
  afterAll(async () => ctx?.close());

  const send = async (method: string, url: string, body?: string) => {
    const res = await admin.req(url.replace(/^\/api\/admin/, ''), { method, body, headers: body ? {} : {} });
    return res;
  };
  // admin.req prefixes /api/admin; other paths go straight to the app with the same headers.
  const request = async (method: string, url: string, body?: string) => {
    const init = {
      method,
      ...(body !== undefined && { body }),
      headers: {
        cookie: admin.cookie,
        'x-csrf-token': admin.csrfToken,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
    };
    const res = url.startsWith('/api/admin') ? await send(method, url, body) : await ctx.app.request(url, init);
    // Pages answer 503 "not built" when `npm run build` has not run (the unit suite does not build).
    if (res.status === 503 && /not been built/.test(await res.text())) return 200;
    await res.body?.cancel();
    return res.status;
  };
  const fill = (path: string, value: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, () => enc(value)).replace(/\*/g, enc(value));

  it('walks a real route table', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/api/admin/campaigns/:slug/donations.csv', '/api/campaigns/:slug/checkout/:sessionId']),
    );
  });

  it('answers 4xx, never 5xx, for hostile path parameters', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.path.includes(':') || x.path.includes('*'))) {
      for (const v of BAD) {
        const status = await request(r.method, fill(r.path, v), r.method === 'GET' ? undefined : '{}');
        if (status >= 500) failures.push(`${status} ${r.method} ${r.path} ${JSON.stringify(v).slice(0, 40)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 4xx, never 5xx, for hostile query parameters on a real campaign', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const path = r.path
        .replace(':slug', 'walk')
        .replace(/:(\w+)/g, 'cs_test_x')
        .replace('*', 'x');
      for (const key of QUERY_KEYS) {
        for (const v of BAD) {
          const status = await request('GET', `${path}?${key}=${enc(v)}`);
          if (status >= 500) failures.push(`${status} GET ${path}?${key}=${JSON.stringify(v).slice(0, 40)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('answers 4xx, never 5xx, for hostile JSON bodies', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.method === 'POST' || x.method === 'PATCH' || x.method === 'PUT')) {
      const path = r.path.replace(':slug', 'walk').replace(/:(\w+)/g, '00000000-0000-0000-0000-000000000000');
      for (const v of BAD) {
        const fields = { email: v, password: v, q: v, name: v, comment: v, note: v, amount: v, slug: v, title: v };
        for (const body of [
          JSON.stringify(fields),
          JSON.stringify({ email: `${v}@example.org`, password: 'x', amount: 1000, frequency: 'once', name: v }),
          v,
        ]) {
          const status = await request(r.method, path, body);
          if (status >= 500) failures.push(`${status} ${r.method} ${path} ${body.slice(0, 60)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it.each([
    [
      'the login e-mail',
      async () =>
        (
          await ctx.app.request('/api/admin/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'a\u0000@example.org', password: 'x' }),
          })
        ).status,
    ],
    ['the donation search', () => request('GET', '/api/admin/campaigns/walk/donations?q=%00')],
    ['the audit log filter', () => request('GET', '/api/admin/audit-log?entityId=%00')],
    ['the CSV export query', () => request('GET', '/api/admin/campaigns/walk/donations.csv?q=a%00b')],
    ['a checkout session id', () => request('GET', '/api/campaigns/walk/checkout/%00')],
    [
      'an impossible date in a donations cursor',
      () =>
        request(
          'GET',
          `/api/admin/campaigns/walk/donations?cursor=${b64(['2026-02-30T00:00:00.000000Z', '00000000-0000-0000-0000-000000000000'])}`,
        ),
    ],
  ])('refuses %s with 400', async (_what, run) => {
    expect(await run()).toBe(400);
  });
});
