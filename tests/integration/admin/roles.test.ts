import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../../db/schema.js';
import { createLogger } from '../../../server/logger.js';
import { queueMail } from '../../../server/mail/queue.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { recordOfflineGift } from '../../../server/ledger/service.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from './helpers.js';

/**
 * SPEC §11 roles on every /api/admin route: owner (everything), editor (campaigns, offline
 * gifts, the donations CSV), viewer (read only). `recent`: the route also wants a password
 * entered in the last 10 minutes. Public routes (login, invitations) are listed as null.
 */
const GIFT = '00000000-0000-4000-8000-00000000000a';
const ROUTES: { method: string; path: string; pattern: string; need: AdminRole | 'any' | null; recent?: boolean; body?: unknown }[] = [
  { method: 'POST', path: '/login', pattern: '/login', need: null },
  { method: 'GET', path: '/invitations/x', pattern: '/invitations/:token', need: null },
  { method: 'POST', path: '/invitations/x', pattern: '/invitations/:token', need: null },
  { method: 'POST', path: '/password-reset', pattern: '/password-reset', need: null },
  { method: 'GET', path: '/password-reset/x', pattern: '/password-reset/:token', need: null },
  { method: 'POST', path: '/password-reset/x', pattern: '/password-reset/:token', need: null },
  { method: 'GET', path: '/me', pattern: '/me', need: 'any' },
  { method: 'POST', path: '/session/reauth', pattern: '/session/reauth', need: 'any', body: { password: 'wrong' } },
  {
    method: 'POST',
    path: '/password',
    pattern: '/password',
    need: 'any',
    body: { currentPassword: 'wrong', newPassword: 'irrelevant here' },
  },
  { method: 'POST', path: '/logout', pattern: '/logout', need: 'any' },
  { method: 'GET', path: '/campaigns', pattern: '/campaigns', need: 'viewer' },
  { method: 'GET', path: '/campaigns/spring', pattern: '/campaigns/:slug', need: 'viewer' },
  { method: 'GET', path: '/campaigns/spring/pace', pattern: '/campaigns/:slug/pace', need: 'viewer' },
  { method: 'GET', path: '/campaigns/spring/donations', pattern: '/campaigns/:slug/donations', need: 'viewer' },
  { method: 'GET', path: '/campaigns/spring/variants', pattern: '/campaigns/:slug/variants', need: 'viewer' },
  { method: 'GET', path: '/campaigns/spring/funnel', pattern: '/campaigns/:slug/funnel', need: 'viewer' },
  { method: 'GET', path: `/donations/${GIFT}`, pattern: '/donations/:giftId', need: 'viewer' },
  { method: 'GET', path: '/digest-subscribers', pattern: '/digest-subscribers', need: 'viewer' },
  { method: 'GET', path: '/audit-log', pattern: '/audit-log', need: 'viewer' },
  { method: 'POST', path: '/campaigns', pattern: '/campaigns', need: 'editor', body: { slug: 'x' } },
  { method: 'PATCH', path: '/campaigns/spring', pattern: '/campaigns/:slug', need: 'editor', body: { title: 'Changed by role test' } },
  { method: 'POST', path: '/campaigns/spring/variants', pattern: '/campaigns/:slug/variants', need: 'editor', body: { name: 'Role test' } },
  {
    method: 'PATCH',
    path: '/campaigns/spring/variants/vRoleTest',
    pattern: '/campaigns/:slug/variants/:id',
    need: 'editor',
    body: { status: 'stopped' },
  },
  { method: 'POST', path: '/campaigns/spring/variants/vRoleTest/keep', pattern: '/campaigns/:slug/variants/:id/keep', need: 'editor' },
  {
    method: 'POST',
    path: '/campaigns/spring/offline-donations',
    pattern: '/campaigns/:slug/offline-donations',
    need: 'editor',
    body: { amount: 500, receivedAt: '2026-12-01' },
  },
  {
    method: 'PATCH',
    path: `/offline-donations/${GIFT}`,
    pattern: '/offline-donations/:giftId',
    need: 'editor',
    body: { note: 'changed by role test' },
  },
  {
    method: 'POST',
    path: `/donations/${GIFT}/receipts`,
    pattern: '/donations/:giftId/receipts',
    need: 'editor',
    body: { paymentId: 1 },
  },
  { method: 'GET', path: '/campaigns/spring/donations.csv', pattern: '/campaigns/:slug/donations.csv', need: 'editor', recent: true },
  { method: 'GET', path: '/digest-subscribers.csv', pattern: '/digest-subscribers.csv', need: 'editor', recent: true },
  { method: 'GET', path: '/admins', pattern: '/admins', need: 'owner', recent: true },
  { method: 'GET', path: '/export', pattern: '/export', need: 'owner', recent: true },
  { method: 'POST', path: '/admins', pattern: '/admins', need: 'owner', recent: true, body: { email: 'new@example.org', role: 'owner' } },
  { method: 'PATCH', path: '/admins/1', pattern: '/admins/:id', need: 'owner', recent: true, body: { role: 'owner' } },
  { method: 'POST', path: '/admins/1/invitation', pattern: '/admins/:id/invitation', need: 'owner', recent: true },
  { method: 'POST', path: '/admins/1/disable', pattern: '/admins/:id/disable', need: 'owner', recent: true },
  { method: 'POST', path: '/admins/1/enable', pattern: '/admins/:id/enable', need: 'owner', recent: true },
  { method: 'DELETE', path: '/admins/1', pattern: '/admins/:id', need: 'owner', recent: true },
  { method: 'GET', path: '/settings', pattern: '/settings', need: 'viewer' },
  { method: 'GET', path: '/webhooks/events', pattern: '/webhooks/events', need: 'viewer' },
  { method: 'GET', path: '/health', pattern: '/health', need: 'viewer' },
  { method: 'PATCH', path: '/settings', pattern: '/settings', need: 'owner', recent: true, body: { timeZone: 'UTC' } },
  { method: 'GET', path: '/payments', pattern: '/payments', need: 'viewer' },
  { method: 'GET', path: '/pledges', pattern: '/pledges', need: 'viewer' },
  { method: 'POST', path: '/payments/probe', pattern: '/payments/probe', need: 'editor' },
  { method: 'PATCH', path: '/payments', pattern: '/payments', need: 'owner', recent: true, body: { otherWays: 'Changed by role test' } },
  { method: 'POST', path: '/pledges/invitations', pattern: '/pledges/invitations', need: 'owner' },
  { method: 'GET', path: '/outbox', pattern: '/outbox', need: 'editor' },
  { method: 'GET', path: '/outbox/1', pattern: '/outbox/:id', need: 'editor' },
  { method: 'GET', path: '/outbox/1/html', pattern: '/outbox/:id/html', need: 'editor' },
  { method: 'GET', path: '/statements/2025/pdf?email=donor@example.org', pattern: '/statements/:year/pdf', need: 'editor', recent: true },
  { method: 'GET', path: '/statements/runs', pattern: '/statements/runs', need: 'owner' },
  { method: 'POST', path: '/statements/runs', pattern: '/statements/runs', need: 'owner', recent: true, body: { year: 2025 } },
  { method: 'POST', path: '/statements/runs/2025/pause', pattern: '/statements/runs/:year/pause', need: 'owner', recent: true },
  { method: 'POST', path: '/statements/runs/2025/resume', pattern: '/statements/runs/:year/resume', need: 'owner', recent: true },
  { method: 'GET', path: '/erasures', pattern: '/erasures', need: 'owner', recent: true },
  {
    method: 'POST',
    path: '/erasures/preview',
    pattern: '/erasures/preview',
    need: 'owner',
    recent: true,
    body: { email: 'donor@example.org' },
  },
  {
    method: 'POST',
    path: '/erasures',
    pattern: '/erasures',
    need: 'owner',
    recent: true,
    body: { email: 'donor@example.org', confirm: 'donor@example.org' },
  },
];
const RANK = { viewer: 0, editor: 1, owner: 2 } as const;
const allowed = (role: AdminRole, need: AdminRole | 'any') => need === 'any' || RANK[role] >= RANK[need];

describe.each(testDatabaseKinds())('admin roles on %s', (kind) => {
  let ctx: TestContext;
  const clients: Partial<Record<AdminRole, AdminClient>> = {};
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    const spring = await makeCampaign(ctx.db, { slug: 'spring' });
    const now = ctx.clock();
    await ctx.db
      .insertInto('campaign_variants')
      .values({
        campaign_id: spring.id,
        public_id: 'vRoleTest',
        name: 'Role test',
        weight: 1,
        control: false,
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .execute();
    await recordOfflineGift(
      { db: ctx.db, bus: ctx.bus },
      { giftId: GIFT, campaignId: spring.id, currency: 'USD', amount: 1000, receivedAt: new Date('2026-12-01T00:00:00Z'), name: 'Cheque' },
    );
    // Mail number 1, so the outbox routes have something to show.
    await queueMail(ctx.db, {
      kind: 'digest.confirm',
      to: 'reader@example.org',
      factKey: 'roles-test',
      data: { token: 'tok' },
      at: ctx.clock(),
    });
    await createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') }).runOnce();
    clients.owner = await signIn(ctx, 'owner@example.org', 'owner');
    clients.editor = await signIn(ctx, 'editor@example.org', 'editor');
    clients.viewer = await signIn(ctx, 'viewer@example.org', 'viewer');
  });
  afterAll(async () => ctx?.close());

  it('every /api/admin route the app serves has a decided role here', () => {
    const served = ctx.app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/admin/'))
      .map((r) => `${r.method} ${r.path.slice('/api/admin'.length)}`);
    const decided = new Set(ROUTES.map((r) => `${r.method} ${r.pattern}`));
    expect(served.filter((r) => !decided.has(r))).toEqual([]);
    expect([...decided].filter((r) => !served.includes(r))).toEqual([]);
  });

  const snapshot = async () => ({
    admins: await ctx.db.selectFrom('admins').selectAll().orderBy('id').execute(),
    campaigns: await ctx.db.selectFrom('campaigns').select(['slug', 'title']).orderBy('id').execute(),
    gifts: await ctx.db.selectFrom('gifts').select(['id', 'amount', 'note']).orderBy('id').execute(),
    audit: await ctx.db.selectFrom('admin_audit_log').select('id').execute(),
    breaker: await ctx.db.selectFrom('payments_breaker').selectAll().execute(),
    variants: await ctx.db.selectFrom('campaign_variants').selectAll().orderBy('id').execute(),
  });

  describe.each(['viewer', 'editor'] as const)('a %s', (role) => {
    const refused = ROUTES.filter((r) => r.need !== null && !allowed(role, r.need));
    const open = ROUTES.filter((r) => r.need !== null && allowed(role, r.need) && r.method === 'GET');

    it.each(refused.map((r) => [r.method, r.path, r] as const))(
      'is refused %s %s with 403 insufficient_role, nothing written',
      async (method, path, r) => {
        const before = await snapshot();
        const res = await clients[role]!.req(path, { method, ...(r.body !== undefined && { body: r.body }) });
        expect(res.status).toBe(403);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('insufficient_role');
        expect(body.error.message).toContain(`needs the ${r.need} role`);
        expect(await snapshot()).toEqual(before);
      },
    );

    it.each(open.map((r) => [r.method, r.path] as const))('may %s %s', async (method, path) => {
      const res = await clients[role]!.req(path, { method });
      expect(res.status).toBe(200);
    });
  });

  it('an editor edits campaigns and offline gifts and exports the donations CSV', async () => {
    const editor = clients.editor!;
    expect((await editor.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Spring appeal' } })).status).toBe(200);
    expect((await editor.req(`/offline-donations/${GIFT}`, { method: 'PATCH', body: { note: 'Cheque #12' } })).status).toBe(200);
    const csv = await editor.req('/campaigns/spring/donations.csv');
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain('Cheque #12');
  });

  it('an owner can use every route', async () => {
    for (const r of ROUTES.filter((x) => x.need !== null && x.method === 'GET')) {
      expect((await clients.owner!.req(r.path)).status, r.path).toBe(200);
    }
  });

  it('a change of role applies to a signed-in admin at once', async () => {
    const someone = await signIn(ctx, 'demoted@example.org', 'editor');
    const { id } = await ctx.db.selectFrom('admins').where('email', '=', 'demoted@example.org').select('id').executeTakeFirstOrThrow();
    expect((await someone.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Still editing' } })).status).toBe(200);
    expect((await clients.owner!.req(`/admins/${id}`, { method: 'PATCH', body: { role: 'viewer' } })).status).toBe(200);
    const res = await someone.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Not any more' } });
    expect(res.status).toBe(403);
    expect((await someone.json<{ admin: { role: string } }>('/me')).admin.role).toBe('viewer');
  });

  it('answers a nonexistent admin id and a malformed one with 4xx, never 500', async () => {
    const owner = clients.owner!;
    expect((await owner.req('/admins/999999/disable', { method: 'POST' })).status).toBe(404);
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999', '%00']) {
      const res = await owner.req(`/admins/${bad}`, { method: 'PATCH', body: { role: 'viewer' } });
      expect(res.status, bad).toBe(400);
    }
    expect((await owner.req('/admins/1', { method: 'PATCH', body: { role: 'admin' } })).status).toBe(400);
    expect(
      (await owner.req('/admins', { method: 'POST', body: { email: `x-${randomUUID()}@example.org`, role: 'superuser' } })).status,
    ).toBe(400);
  });
});
