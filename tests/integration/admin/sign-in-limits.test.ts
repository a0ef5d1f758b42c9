import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { ADMIN_PASSWORD, cookieFrom, loginRequest } from './helpers.js';

// The limits are under test here, not argon2: these admins' hashes are argon2id at a low cost
// so that a hundred wrong passwords take seconds on a busy machine (verification reads the
// cost from the hash; every hash the app itself makes uses the production cost).
const cheapHash = argon2.hash(ADMIN_PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
async function makeAdmin(ctx: TestContext, email: string) {
  await ctx.db
    .insertInto('admins')
    .values({ email, password_hash: await cheapHash })
    .execute();
}
const SLOW = 180_000; // generous ceiling for a hundred sign-in attempts under load

/**
 * Issue 8 item 4 and SPEC §11: failed sign-ins slow the attacker's address, not the account for
 * everyone. Each test uses its own admin and its own addresses, so the limits do not mix.
 */
describe.each(testDatabaseKinds())('admin sign-in limits on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { env: { TRUST_PROXY: 'true' } });
  });
  afterAll(async () => ctx?.close());

  const from = (ip: string, cookie?: string) => ({ 'x-forwarded-for': ip, ...(cookie && { cookie }) });
  const signInFrom = (email: string, password: string, ip: string, cookie?: string) => loginRequest(ctx, email, password, from(ip, cookie));

  /** Signs in once from the admin's usual browser and returns its known-device cookie. */
  async function usualBrowser(email: string, ip: string): Promise<string> {
    const res = await signInFrom(email, ADMIN_PASSWORD, ip);
    expect(res.status).toBe(200);
    return cookieFrom(res, 'gs_admin_device')!;
  }

  /** 100 wrong passwords for `email`, 5 from each of 20 addresses, the addresses in parallel. */
  async function attack(email: string, net: string): Promise<Response[]> {
    const perAddress = await Promise.all(
      Array.from({ length: 20 }, async (_, a) => {
        const out: Response[] = [];
        for (let i = 0; i < 5; i++) out.push(await signInFrom(email, `guess-${a}-${i}`, `${net}.${a + 1}`));
        return out;
      }),
    );
    return perAddress.flat();
  }

  it(
    'after 100 wrong passwords from 20 addresses the admin still signs in from their known device',
    async () => {
      const email = 'target@example.org';
      await makeAdmin(ctx, email);
      const device = await usualBrowser(email, '203.0.113.7');

      const responses = await attack(email, '198.51.100');
      expect(responses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
      // The attacker is slowed: once the account had 30 wrong passwords from unknown browsers,
      // each address got one more try per 10 minutes, so at most 30 + 20 guesses were checked.
      const refused = responses.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(50);
      for (const r of refused) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);

      // The admin at a new address (a café), with the browser they always use: straight in.
      const res = await signInFrom(email, ADMIN_PASSWORD, '192.0.2.44', device);
      expect(res.status).toBe(200);
      expect(cookieFrom(res, 'gs_admin')).toMatch(/^gs_admin=[\w-]{40,}$/);
    },
    SLOW,
  );

  it(
    'during such an attack a brand-new browser at a new address is slowed, never locked out',
    async () => {
      const email = 'newdevice@example.org';
      await makeAdmin(ctx, email);
      await attack(email, '198.51.101');

      // First try from a new browser at a new address is checked at once: the right password works.
      expect((await signInFrom(email, ADMIN_PASSWORD, '192.0.2.50')).status).toBe(200);

      // A typo costs that address 10 minutes for this account (and says so), nothing more.
      expect((await signInFrom(email, 'typo', '192.0.2.51')).status).toBe(401);
      const slowed = await signInFrom(email, ADMIN_PASSWORD, '192.0.2.51');
      expect(slowed.status).toBe(429);
      const retry = Number(slowed.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(600);
      expect(((await slowed.json()) as { error: { message: string } }).error.message).toMatch(
        /one try per 10 minutes .*please wait \d+ minutes/,
      );
      // ...while yet another address still gets its try.
      expect((await signInFrom(email, ADMIN_PASSWORD, '192.0.2.52')).status).toBe(200);
    },
    SLOW,
  );

  it('an address that keeps guessing gets 429 with Retry-After, yet a known device at that address gets in', async () => {
    const email = 'shared-nat@example.org';
    await makeAdmin(ctx, email);
    const device = await usualBrowser(email, '203.0.113.8');
    const nat = '100.64.0.9'; // a carrier-grade NAT: the attacker and the admin share it
    for (let i = 0; i < 5; i++) expect((await signInFrom(email, `guess-${i}`, nat)).status).toBe(401);
    for (let i = 0; i < 3; i++) {
      const res = await signInFrom(email, `guess-more-${i}`, nat);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
    }
    // The right password from that address without the device cookie is refused too...
    expect((await signInFrom(email, ADMIN_PASSWORD, nat)).status).toBe(429);
    // ...but not the admin's own browser.
    expect((await signInFrom(email, ADMIN_PASSWORD, nat, device)).status).toBe(200);

    // The same address guessing across accounts: 20 tries per 15 minutes, then 429 for all of them.
    let last: Response | undefined;
    for (let i = 0; i < 21 && last?.status !== 429; i++) last = await signInFrom(`nobody${i}@example.org`, 'whatever', '100.64.0.10');
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await last!.json()) as { error: { message: string } }).error.message).toMatch(/from this connection/);
  });

  it('a known device gets 10 wrong passwords per 15 minutes, not unlimited guesses', async () => {
    const email = 'device-guess@example.org';
    await makeAdmin(ctx, email);
    const device = await usualBrowser(email, '203.0.113.9');
    for (let i = 0; i < 10; i++) expect((await signInFrom(email, `guess-${i}`, `198.51.102.${i + 1}`, device)).status).toBe(401);
    const res = await signInFrom(email, ADMIN_PASSWORD, '198.51.102.99', device);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/on this device/);
  });

  it('a forged device cookie, or one from another admin, counts as a new browser', async () => {
    const email = 'forged@example.org';
    await makeAdmin(ctx, email);
    await makeAdmin(ctx, 'other@example.org');
    const mine = await usualBrowser(email, '203.0.113.10');
    const others = await usualBrowser('other@example.org', '203.0.113.11');
    const [, id, deviceId, mac] = /^gs_admin_device=v1\.(\d+)\.([\w-]+)\.([\w-]+)$/.exec(mine)!;
    const flipped = `gs_admin_device=v1.${id}.${deviceId}.${mac!.startsWith('A') ? 'B' : 'A'}${mac!.slice(1)}`;
    const otherId = /v1\.(\d+)\./.exec(others)![1];
    const stolenId = `gs_admin_device=v1.${otherId}.${deviceId}.${mac}`;

    const nat = '100.64.1.1';
    for (let i = 0; i < 5; i++) await signInFrom(email, `guess-${i}`, nat);
    for (const cookie of [flipped, others, stolenId, 'gs_admin_device=v1.x.y.z', `gs_admin_device=${'A'.repeat(500)}`]) {
      expect((await signInFrom(email, ADMIN_PASSWORD, nat, cookie)).status).toBe(429);
    }
    expect((await signInFrom(email, ADMIN_PASSWORD, nat, mine)).status).toBe(200);
  });

  it('the device cookie is HttpOnly, SameSite=Strict and long-lived; a password change revokes every device', async () => {
    const email = 'revoke@example.org';
    await makeAdmin(ctx, email);
    const first = await signInFrom(email, ADMIN_PASSWORD, '203.0.113.12');
    const setCookie = first.headers.getSetCookie().find((c) => c.startsWith('gs_admin_device='))!;
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toMatch(/Max-Age=\d{7,}/);
    const oldDevice = cookieFrom(first, 'gs_admin_device')!;
    const session = cookieFrom(first, 'gs_admin')!;
    const { csrfToken } = (await first.json()) as { csrfToken: string };

    const changed = await ctx.app.request('/api/admin/password', {
      method: 'POST',
      body: JSON.stringify({ currentPassword: ADMIN_PASSWORD, newPassword: 'a brand new secret' }),
      headers: {
        'content-type': 'application/json',
        cookie: `${session}; ${oldDevice}`,
        'x-csrf-token': csrfToken,
        'x-forwarded-for': '203.0.113.12',
      },
    });
    expect(changed.status).toBe(200);
    const newDevice = cookieFrom(changed, 'gs_admin_device')!;
    expect(newDevice).not.toBe(oldDevice);

    const nat = '100.64.2.1';
    for (let i = 0; i < 5; i++) await signInFrom(email, `guess-${i}`, nat);
    expect((await signInFrom(email, 'a brand new secret', nat, oldDevice)).status).toBe(429);
    expect((await signInFrom(email, 'a brand new secret', nat, newDevice)).status).toBe(200);
  });
});
