import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, loginRequest, makeAdmin, signIn } from './helpers.js';

const GIFT = '00000000-0000-4000-8000-000000000000';

/** Every admin route; all but login must answer 401 without a session. */
const ROUTES: [string, string][] = [
  ['POST', '/logout'],
  ['GET', '/me'],
  ['GET', '/admins'],
  ['POST', '/admins'],
  ['POST', '/password'],
  ['POST', '/session/reauth'],
  ['POST', '/admins/1/invitation'],
  ['PATCH', '/admins/1'],
  ['POST', '/admins/1/disable'],
  ['POST', '/admins/1/enable'],
  ['DELETE', '/admins/1'],
  ['GET', '/campaigns'],
  ['POST', '/campaigns'],
  ['GET', '/campaigns/spring'],
  ['PATCH', '/campaigns/spring'],
  ['GET', '/campaigns/spring/donations'],
  ['GET', '/campaigns/spring/donations.csv'],
  ['POST', '/campaigns/spring/offline-donations'],
  ['PATCH', `/offline-donations/${GIFT}`],
  ['GET', `/donations/${GIFT}`],
  ['GET', '/digest-subscribers'],
  ['GET', '/digest-subscribers.csv'],
  ['GET', '/audit-log'],
  ['GET', '/no-such-route'],
];

describe.each(testDatabaseKinds())('admin sign-in and request protection on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    await makeCampaign(ctx.db, { slug: 'spring' });
    await makeAdmin(ctx);
  });
  afterAll(async () => ctx?.close());

  it.each(ROUTES)('%s %s answers 401 without a session', async (method, path) => {
    const res = await ctx.app.request(`/api/admin${path}`, {
      method,
      ...(method !== 'GET' && { body: '{}', headers: { 'content-type': 'application/json' } }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses a forged or expired session cookie', async () => {
    const res = await ctx.app.request('/api/admin/me', { headers: { cookie: 'gs_admin=forged' } });
    expect(res.status).toBe(401);
    const admin = await signIn(ctx);
    ctx.clock.advance(13 * 3600_000); // idle longer than the session lives
    expect((await admin.req('/me')).status).toBe(401);
    ctx.clock.set('2026-12-05T10:00:00Z');
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie and answers /me with the CSRF token', async () => {
    const res = await loginRequest(ctx, ' OPS@example.org ', ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { admin: { email: string }; csrfToken: string };
    expect(body.admin).toMatchObject({ email: ADMIN_EMAIL, role: 'owner' });
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('gs_admin='))!;
    expect(setCookie).toMatch(/^gs_admin=[\w-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure'); // PUBLIC_URL is http here
    expect(res.headers.get('cache-control')).toBe('no-store');

    const cookie = setCookie.split(';')[0]!;
    const me = await ctx.app.request('/api/admin/me', { headers: { cookie } });
    expect(await me.json()).toEqual({
      admin: { id: expect.any(Number), email: ADMIN_EMAIL, role: 'owner' },
      csrfToken: body.csrfToken,
      recentAuth: true,
      recentAuthUntil: '2026-12-05T10:10:00.000Z',
    });
    // the database holds a hash, not the cookie's token
    const rows = await ctx.db.selectFrom('admin_sessions').select('id').execute();
    expect(rows.map((r) => r.id)).not.toContain(cookie.split('=')[1]);
  });

  it('refuses a wrong password and an unknown e-mail alike', async () => {
    const wrong = await loginRequest(ctx, ADMIN_EMAIL, 'not the password');
    const unknown = await loginRequest(ctx, 'nobody@example.org', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('validates the login body', async () => {
    const res = await ctx.app.request('/api/admin/login', {
      method: 'POST',
      body: JSON.stringify({ email: 'a@b.c', password: 'x', admin: true }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'admin' } });
  });

  it('logs out: the cookie is cleared and the session no longer works', async () => {
    const admin = await signIn(ctx);
    const res = await admin.req('/logout', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/gs_admin=;.*Max-Age=0/);
    expect((await admin.req('/me')).status).toBe(401);
  });

  describe('CSRF', () => {
    it('refuses a mutating request without the X-CSRF-Token header', async () => {
      const admin = await signIn(ctx);
      const res = await admin.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Hijacked' }, headers: { 'x-csrf-token': '' } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'csrf_failed' } });
      const wrong = await admin.req('/campaigns/spring', {
        method: 'PATCH',
        body: { title: 'Hijacked' },
        headers: { 'x-csrf-token': 'x'.repeat(43) },
      });
      expect(wrong.status).toBe(403);
      const c = await ctx.db.selectFrom('campaigns').where('slug', '=', 'spring').select('title').executeTakeFirstOrThrow();
      expect(c.title).toBe('Test campaign');
    });

    it('refuses a cross-site Origin even with a valid token', async () => {
      const admin = await signIn(ctx);
      const res = await admin.req('/campaigns/spring', {
        method: 'PATCH',
        body: { title: 'Hijacked' },
        headers: { origin: 'https://evil.example', 'sec-fetch-site': '' },
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
      const same = await admin.req('/campaigns/spring', {
        method: 'PATCH',
        body: { title: 'Renamed' },
        headers: { origin: 'http://groundswell.test' },
      });
      expect(same.status).toBe(200);
    });

    it('refuses a cross-site form post (the browser says Sec-Fetch-Site: cross-site)', async () => {
      const admin = await signIn(ctx);
      const res = await ctx.app.request('/api/admin/campaigns/spring/offline-donations', {
        method: 'POST',
        body: 'amount=100000&receivedAt=2026-12-01',
        headers: {
          cookie: admin.cookie,
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'cross-site',
          origin: 'https://evil.example',
        },
      });
      expect(res.status).toBe(403);
      const sameSite = await admin.req('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-site' } });
      expect(sameSite.status).toBe(403);
      // a cross-site login form cannot sign the victim in to the attacker's account either
      const login = await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD, { 'sec-fetch-site': 'cross-site' });
      expect(login.status).toBe(403);
      expect(await ctx.db.selectFrom('gifts').select('id').execute()).toHaveLength(0);
    });

    it('allows reads without the token', async () => {
      const admin = await signIn(ctx);
      const res = await admin.req('/campaigns', { headers: { 'x-csrf-token': '' } });
      expect(res.status).toBe(200);
    });
  });

  describe('admins', () => {
    it('adds admins only by invitation: the inviting owner cannot choose their password', async () => {
      const admin = await signIn(ctx);
      const res = await admin.req('/admins', {
        method: 'POST',
        body: { email: 'second@example.org', role: 'editor', password: 'another long secret' },
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'password' } });
      expect(await ctx.db.selectFrom('admins').where('email', '=', 'second@example.org').select('id').execute()).toHaveLength(0);
    });

    it('changes the password and signs out the other sessions', async () => {
      await makeAdmin(ctx, 'pw@example.org');
      const a = await signIn(ctx, 'pw@example.org');
      const b = await signIn(ctx, 'pw@example.org');
      const bad = await a.req('/password', { method: 'POST', body: { currentPassword: 'wrong', newPassword: 'a brand new secret' } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { field: 'currentPassword' } });
      const ok = await a.req('/password', { method: 'POST', body: { currentPassword: ADMIN_PASSWORD, newPassword: 'a brand new secret' } });
      expect(ok.status).toBe(200);
      expect((await a.req('/me')).status).toBe(200);
      expect((await b.req('/me')).status).toBe(401);
      expect((await loginRequest(ctx, 'pw@example.org', 'a brand new secret')).status).toBe(200);
    });
  });
});

describe.each(testDatabaseKinds())('admin login rate limiting on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind);
    await makeAdmin(ctx);
  });
  afterAll(async () => ctx?.close());

  it('locks an account after 5 wrong passwords with a clear 429 and Retry-After, even for the right one', async () => {
    for (let i = 0; i < 5; i++) expect((await loginRequest(ctx, ADMIN_EMAIL, `guess-${i}`)).status).toBe(401);
    const res = await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(60);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/Too many sign-in attempts for this account from this connection; please wait \d+ minutes/);
  });

  it('limits one address across accounts', async () => {
    let last: Response | undefined;
    // 20 per address per 15 minutes: 6 already spent above
    for (let i = 0; i < 15; i++) last = await loginRequest(ctx, `user${i}@example.org`, 'whatever');
    expect(last!.status).toBe(429);
    expect(((await last!.json()) as { error: { message: string } }).error.message).toMatch(/from this connection/);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('successful sign-ins', () => {
  it('do not use up the per-address limit (an office behind one IP)', async () => {
    const ctx = await createTestContext('pglite');
    try {
      await makeAdmin(ctx);
      for (let i = 0; i < 25; i++) expect((await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);
    } finally {
      await ctx.close();
    }
  });
});

describe('admin lockout is per address', () => {
  it('an attacker who knows the e-mail cannot lock the admin out from elsewhere', async () => {
    const ctx = await createTestContext('pglite', { env: { TRUST_PROXY: 'true' } });
    try {
      await makeAdmin(ctx);
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 6; i++) await loginRequest(ctx, ADMIN_EMAIL, `guess-${i}`, from('198.51.100.9'));
      expect((await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD, from('198.51.100.9'))).status).toBe(429);
      expect((await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD, from('203.0.113.20'))).status).toBe(200);
    } finally {
      await ctx.close();
    }
  });
});

describe('admin cookie over https', () => {
  it('is Secure with the __Host- prefix', async () => {
    const ctx = await createTestContext('pglite', { env: { PUBLIC_URL: 'https://give.example.org' } });
    try {
      await makeAdmin(ctx);
      const res = await loginRequest(ctx, ADMIN_EMAIL, ADMIN_PASSWORD);
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-gs_admin='))!;
      expect(setCookie).toMatch(/^__Host-gs_admin=/);
      expect(setCookie).toContain('Secure');
      const device = res.headers.getSetCookie().find((c) => c.startsWith('__Host-gs_admin_device='))!;
      expect(device).toContain('Secure');
      expect(device).toContain('HttpOnly');
      const me = await ctx.app.request('/api/admin/me', { headers: { cookie: setCookie.split(';')[0]! } });
      expect(me.status).toBe(200);
    } finally {
      await ctx.close();
    }
  });
});
