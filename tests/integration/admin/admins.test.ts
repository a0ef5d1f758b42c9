import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { ADMIN_PASSWORD, type AdminClient, clientFromLogin, loginRequest, signIn } from './helpers.js';

const START = '2026-12-05T10:00:00Z';
const MIN = 60_000;

type Account = { id: number; email: string; role: string; status: string; invitationExpiresAt: string | null };
type Invited = { admin: Account; invitation: { url: string; expiresAt: string } };
type AuditRow = { admin: string | null; action: string; entityId: string; before: unknown; after: unknown };

/** SPEC §11: invitations, roles, disable/enable/remove, the last-owner rule, re-authentication. */
describe.each(testDatabaseKinds())('admin accounts on %s', (kind) => {
  let ctx: TestContext;
  let owner: AdminClient;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock(START) });
    await makeCampaign(ctx.db, { slug: 'spring' });
    owner = await signIn(ctx, 'owner@example.org', 'owner');
  });
  afterAll(async () => ctx?.close());

  const invite = async (email: string, role = 'editor') => {
    const res = await owner.req('/admins', { method: 'POST', body: { email, role } });
    expect(res.status).toBe(201);
    return (await res.json()) as Invited;
  };
  const tokenOf = (url: string) => url.split('/').at(-1)!;
  const invitation = (token: string, init: { method?: string; body?: unknown } = {}) =>
    ctx.app.request(`/api/admin/invitations/${token}`, {
      method: init.method ?? 'GET',
      ...(init.body !== undefined && { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
    });
  const idOf = async (email: string) =>
    (await ctx.db.selectFrom('admins').where('email', '=', email).select('id').executeTakeFirstOrThrow()).id;
  const auditFor = async (id: number) =>
    (await owner.json<{ entries: AuditRow[] }>(`/audit-log?entity=admin&entityId=${id}`)).entries.reverse();
  /** Sign-ins and re-auths in these tests happen at START; put the clock back there. */
  const fresh = async () => {
    ctx.clock.set(START);
  };

  it('an owner invites an admin with a role; the link is shown once and only its hash is stored', async () => {
    await fresh();
    const made = await invite('Ed@Example.org', 'editor');
    expect(made.admin).toMatchObject({ email: 'ed@example.org', role: 'editor', status: 'invited' });
    expect(made.invitation.url).toMatch(/^http:\/\/groundswell\.test\/admin\/invite\/[\w-]{43}$/);
    expect(made.invitation.expiresAt).toBe('2026-12-12T10:00:00.000Z');
    const token = tokenOf(made.invitation.url);

    const row = await ctx.db
      .selectFrom('admins')
      .where('email', '=', 'ed@example.org')
      .select(['password_hash', 'role'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ password_hash: null, role: 'editor' });
    const stored = await ctx.db.selectFrom('admin_invitations').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);
    // The list tells the status, never the link again.
    const list = await owner.req('/admins');
    const text = await list.text();
    expect(text).not.toContain(token);
    expect(JSON.parse(text).admins).toContainEqual(
      expect.objectContaining({ email: 'ed@example.org', status: 'invited', invitationExpiresAt: '2026-12-12T10:00:00.000Z' }),
    );
    // Nobody can sign in to an invited account before a password is set.
    expect((await loginRequest(ctx, 'ed@example.org', '')).status).toBe(400);
    expect((await loginRequest(ctx, 'ed@example.org', 'anything at all')).status).toBe(401);
    expect(await auditFor(made.admin.id)).toEqual([
      expect.objectContaining({ admin: 'owner@example.org', action: 'admin.invite', after: { email: 'ed@example.org', role: 'editor' } }),
    ]);
    // A second invitation for the same e-mail is refused.
    expect((await owner.req('/admins', { method: 'POST', body: { email: 'ed@example.org', role: 'viewer' } })).status).toBe(409);
  });

  it('the invited admin sets their own password through the link, once; opening the link changes nothing', async () => {
    await fresh();
    const made = await invite('vi@example.org', 'viewer');
    const token = tokenOf(made.invitation.url);
    for (let i = 0; i < 2; i++) {
      const look = await invitation(token);
      expect(look.status).toBe(200);
      expect(await look.json()).toEqual({ email: 'vi@example.org', expiresAt: '2026-12-12T10:00:00.000Z' });
    }
    const short = await invitation(token, { method: 'POST', body: { password: 'short' } });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ error: { field: 'password' } });

    const set = await invitation(token, { method: 'POST', body: { password: 'my very own secret' } });
    expect(set.status).toBe(200);
    const vi = await clientFromLogin(ctx, set);
    expect((await vi.json<{ admin: { email: string; role: string } }>('/me')).admin).toMatchObject({
      email: 'vi@example.org',
      role: 'viewer',
    });
    expect(vi.deviceCookie).toMatch(/^gs_admin_device=v1\./);

    const again = await invitation(token, { method: 'POST', body: { password: 'someone elses secret' } });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: { code: 'invitation_invalid' } });
    expect((await invitation(token)).status).toBe(404);
    expect((await loginRequest(ctx, 'vi@example.org', 'someone elses secret')).status).toBe(401);
    expect((await loginRequest(ctx, 'vi@example.org', 'my very own secret')).status).toBe(200);
    expect(await ctx.db.selectFrom('admin_invitations').where('admin_id', '=', made.admin.id).select('token_hash').execute()).toEqual([]);
    const log = await auditFor(made.admin.id);
    expect(log.map((e) => [e.action, e.admin])).toEqual([
      ['admin.invite', 'owner@example.org'],
      ['admin.password_set', 'vi@example.org'],
    ]);
  });

  it('refuses malformed, unknown and cross-site invitation requests with 4xx', async () => {
    for (const bad of ['short', 'x'.repeat(44), `${'a'.repeat(42)}%00`, `${'a'.repeat(42)}.`]) {
      expect((await invitation(bad)).status, bad).toBe(400);
    }
    expect((await invitation('a'.repeat(43))).status).toBe(404);
    expect((await invitation('a'.repeat(43), { method: 'POST', body: { password: 'a long enough one' } })).status).toBe(404);
    const made = await invite('cross@example.org', 'viewer');
    const res = await ctx.app.request(`/api/admin/invitations/${tokenOf(made.invitation.url)}`, {
      method: 'POST',
      body: JSON.stringify({ password: 'attacker chosen one' }),
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await invitation(tokenOf(made.invitation.url))).status).toBe(200);
  });

  it('an invitation expires after 7 days; a renewed link replaces the old one', async () => {
    await fresh();
    const made = await invite('late@example.org', 'editor');
    const first = tokenOf(made.invitation.url);
    ctx.clock.advance(7 * 24 * 60 * MIN + MIN);
    expect((await invitation(first)).status).toBe(404);
    expect(await owner.json<{ admins: Account[] }>('/admins').catch(() => null)).toBeNull(); // the owner's session has expired too
    // Back inside the week: the owner sends a new link, and the first one dies with it.
    ctx.clock.set(START);
    ctx.clock.advance(MIN);
    expect((await invitation(first)).status).toBe(200);
    const renewed = await owner.req(`/admins/${made.admin.id}/invitation`, { method: 'POST' });
    expect(renewed.status).toBe(201);
    const second = tokenOf(((await renewed.json()) as Invited).invitation.url);
    expect((await invitation(first)).status).toBe(404);
    expect((await invitation(second)).status).toBe(200);
    // Only for an admin who has not set a password yet.
    const active = await owner.req(`/admins/${await idOf('owner@example.org')}/invitation`, { method: 'POST' });
    expect(active.status).toBe(409);
    expect((await auditFor(made.admin.id)).map((e) => e.action)).toEqual(['admin.invite', 'admin.invite_renew']);
  });

  it('changing a role is audited with before and after', async () => {
    await fresh();
    const ed = await signIn(ctx, 'role@example.org', 'editor');
    const id = await idOf('role@example.org');
    const res = await owner.req(`/admins/${id}`, { method: 'PATCH', body: { role: 'owner' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ admin: { id, role: 'owner', status: 'active' } });
    expect((await ed.json<{ admin: { role: string } }>('/me')).admin.role).toBe('owner');
    expect((await owner.req(`/admins/${id}`, { method: 'PATCH', body: { role: 'viewer' } })).status).toBe(200);
    const log = await auditFor(id);
    expect(log.filter((e) => e.action === 'admin.role').map((e) => [e.before, e.after])).toEqual([
      [{ role: 'editor' }, { role: 'owner' }],
      [{ role: 'owner' }, { role: 'viewer' }],
    ]);
  });

  it('disabling signs the admin out at once and keeps them out; enabling lets them back in', async () => {
    await fresh();
    const dis = await signIn(ctx, 'dis@example.org', 'editor');
    const id = await idOf('dis@example.org');
    const res = await owner.req(`/admins/${id}/disable`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ admin: { status: 'disabled' } });
    expect((await dis.req('/me')).status).toBe(401);
    expect(await ctx.db.selectFrom('admin_sessions').where('admin_id', '=', id).select('id').execute()).toEqual([]);
    const wrong = await loginRequest(ctx, 'dis@example.org', 'not the password');
    expect(wrong.status).toBe(401);
    const right = await loginRequest(ctx, 'dis@example.org', ADMIN_PASSWORD);
    expect(right.status).toBe(403);
    expect(await right.json()).toMatchObject({ error: { code: 'account_disabled' } });
    expect(right.headers.getSetCookie()).toEqual([]);

    expect((await owner.req(`/admins/${id}/enable`, { method: 'POST' })).status).toBe(200);
    expect((await loginRequest(ctx, 'dis@example.org', ADMIN_PASSWORD)).status).toBe(200);
    expect((await auditFor(id)).map((e) => e.action)).toEqual(['admin.disable', 'admin.enable']);
  });

  it('a disabled invited admin cannot use their link', async () => {
    await fresh();
    const made = await invite('dis-invited@example.org', 'viewer');
    await owner.req(`/admins/${made.admin.id}/disable`, { method: 'POST' });
    expect((await invitation(tokenOf(made.invitation.url))).status).toBe(404);
    expect((await invitation(tokenOf(made.invitation.url), { method: 'POST', body: { password: 'a long enough one' } })).status).toBe(404);
  });

  it('removing deletes the account and its sessions; the audit log still names who did what', async () => {
    await fresh();
    const gone = await signIn(ctx, 'gone@example.org', 'owner');
    const id = await idOf('gone@example.org');
    expect((await gone.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Renamed by gone' } })).status).toBe(200);
    const res = await owner.req(`/admins/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect((await gone.req('/me')).status).toBe(401);
    expect((await loginRequest(ctx, 'gone@example.org', ADMIN_PASSWORD)).status).toBe(401);
    expect(await ctx.db.selectFrom('admins').where('id', '=', id).select('id').execute()).toEqual([]);
    const log = await owner.json<{ entries: AuditRow[] }>('/audit-log');
    expect(log.entries).toContainEqual(expect.objectContaining({ admin: 'gone@example.org', action: 'campaign.update' }));
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        admin: 'owner@example.org',
        action: 'admin.remove',
        entityId: String(id),
        before: { email: 'gone@example.org', role: 'owner' },
      }),
    );
    expect((await owner.req(`/admins/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('the last active owner cannot be demoted, disabled or removed (409), not even by themselves', async () => {
    // A fresh installation: one owner, an invited owner who has not set a password, a disabled owner.
    const solo = await createTestContext(kind, { clock: fakeClock(START) });
    try {
      const only = await signIn(solo, 'only@example.org', 'owner');
      await signIn(solo, 'off@example.org', 'owner');
      const offId = (await solo.db.selectFrom('admins').where('email', '=', 'off@example.org').select('id').executeTakeFirstOrThrow()).id;
      expect((await only.req(`/admins/${offId}/disable`, { method: 'POST' })).status).toBe(200);
      expect((await only.req('/admins', { method: 'POST', body: { email: 'pending@example.org', role: 'owner' } })).status).toBe(201);
      const me = (await only.json<{ admin: { id: number } }>('/me')).admin.id;
      for (const [method, path, body] of [
        ['PATCH', `/admins/${me}`, { role: 'editor' }],
        ['PATCH', `/admins/${me}`, { role: 'viewer' }],
        ['POST', `/admins/${me}/disable`, undefined],
        ['DELETE', `/admins/${me}`, undefined],
      ] as const) {
        const res = await only.req(path, { method, ...(body && { body }) });
        expect(res.status, `${method} ${path}`).toBe(409);
        expect(await res.json()).toMatchObject({ error: { code: 'last_owner' } });
      }
      const row = await solo.db.selectFrom('admins').where('id', '=', me).select(['role', 'disabled_at']).executeTakeFirstOrThrow();
      expect(row).toEqual({ role: 'owner', disabled_at: null });
      expect((await only.req('/me')).status).toBe(200);
      // With a second active owner it works, and the second can then not be removed.
      expect((await only.req(`/admins/${offId}/enable`, { method: 'POST' })).status).toBe(200);
      expect((await only.req(`/admins/${me}`, { method: 'PATCH', body: { role: 'editor' } })).status).toBe(200);
      const off = await clientFromLogin(solo, await loginRequest(solo, 'off@example.org', ADMIN_PASSWORD));
      expect((await off.req(`/admins/${offId}`, { method: 'DELETE' })).status).toBe(409);
    } finally {
      await solo.close();
    }
  });

  it('two owners demoting each other at the same moment leave one owner', async () => {
    const pair = await createTestContext(kind, { clock: fakeClock(START) });
    try {
      const a = await signIn(pair, 'a@example.org', 'owner');
      const b = await signIn(pair, 'b@example.org', 'owner');
      const ids = await pair.db.selectFrom('admins').select(['id', 'email']).orderBy('id').execute();
      const [resA, resB] = await Promise.all([
        a.req(`/admins/${ids[1]!.id}`, { method: 'PATCH', body: { role: 'viewer' } }),
        b.req(`/admins/${ids[0]!.id}`, { method: 'PATCH', body: { role: 'viewer' } }),
      ]);
      // One wins. The other is refused by the last-owner rule (409) if both got past the role
      // check together, or by the role check (403) if the winner had already demoted it.
      const statuses = [resA.status, resB.status].sort();
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const owners = await pair.db.selectFrom('admins').where('role', '=', 'owner').select('id').execute();
      expect(owners).toHaveLength(1);
    } finally {
      await pair.close();
    }
  });

  describe('re-authentication', () => {
    it('after 10 minutes, admins and exports of donor data want the password again; the console retries after it', async () => {
      await fresh();
      const o = await signIn(ctx, 'sudo@example.org', 'owner');
      expect((await o.req('/admins')).status).toBe(200);
      ctx.clock.advance(10 * MIN + 1000);
      const before = await ctx.db.selectFrom('admins').select('id').execute();
      for (const [method, path, body] of [
        ['GET', '/admins', undefined],
        ['POST', '/admins', { email: 'sneaky@example.org', role: 'owner' }],
        ['POST', `/admins/${await idOf('owner@example.org')}/disable`, undefined],
        ['GET', '/campaigns/spring/donations.csv', undefined],
        ['GET', '/digest-subscribers.csv', undefined],
      ] as const) {
        const res = await o.req(path, { method, ...(body && { body }) });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'reauth_required' } });
      }
      expect(await ctx.db.selectFrom('admins').select('id').execute()).toEqual(before);
      // Reading campaigns and donations is not sensitive: no password needed.
      expect((await o.req('/campaigns/spring/donations')).status).toBe(200);

      const wrong = await o.req('/session/reauth', { method: 'POST', body: { password: 'not it' } });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_credentials', field: 'password' } });
      expect((await o.req('/me')).status).toBe(200); // a wrong password does not sign out
      const ok = await o.req('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ recentAuthUntil: new Date(ctx.clock.now.getTime() + 10 * MIN).toISOString() });
      expect((await o.req('/admins')).status).toBe(200);
      expect((await o.req('/campaigns/spring/donations.csv')).status).toBe(200);

      const id = await idOf('sudo@example.org');
      expect((await auditFor(id)).map((e) => [e.action, e.admin])).toEqual([['admin.reauth_failed', 'sudo@example.org']]);
    });

    it('an editor re-authenticates for the donations CSV too; a viewer gets no CSV at all', async () => {
      await fresh();
      const ed = await signIn(ctx, 'csv-editor@example.org', 'editor');
      const vw = await signIn(ctx, 'csv-viewer@example.org', 'viewer');
      ctx.clock.advance(11 * MIN);
      expect(await (await ed.req('/campaigns/spring/donations.csv')).json()).toMatchObject({ error: { code: 'reauth_required' } });
      expect((await ed.req('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } })).status).toBe(200);
      expect((await ed.req('/campaigns/spring/donations.csv')).headers.get('content-type')).toContain('text/csv');
      expect((await vw.req('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } })).status).toBe(200);
      expect(await (await vw.req('/campaigns/spring/donations.csv')).json()).toMatchObject({ error: { code: 'insufficient_role' } });
    });

    it('wrong passwords at re-authentication are limited per session', async () => {
      await fresh();
      const o = await signIn(ctx, 'guesser@example.org', 'viewer');
      for (let i = 0; i < 5; i++)
        expect((await o.req('/session/reauth', { method: 'POST', body: { password: `guess ${i}` } })).status).toBe(400);
      const res = await o.req('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      const id = await idOf('guesser@example.org');
      expect((await auditFor(id)).filter((e) => e.action === 'admin.reauth_failed')).toHaveLength(5);
    });
  });
});
