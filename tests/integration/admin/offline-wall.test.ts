import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from './helpers.js';

describe.each(testDatabaseKinds())('offline gifts on the public donor wall on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const slug = 'wall';
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    admin = await signIn(ctx);
    await makeCampaign(ctx.db, { slug });
  });
  afterAll(async () => ctx?.close());

  const wall = async () => {
    const res = await ctx.app.request(`/api/campaigns/${slug}/donors?limit=50`);
    return ((await res.json()) as { donors: { name: string; amount: number }[] }).donors;
  };
  const offline = (body: Record<string, unknown>) =>
    admin.json<{ id: string; showOnWall: boolean; anonymous: boolean }>(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { receivedAt: '2026-12-02', ...body },
    });

  it('are not shown unless the admin says so, and can be anonymous', async () => {
    const hidden = await offline({ amount: 5000, name: 'Grace Hopper', email: 'grace@example.org' });
    expect(hidden).toMatchObject({ showOnWall: false, anonymous: false });
    await offline({ amount: 6000, name: 'Ada Lovelace', showOnWall: true });
    await offline({ amount: 7000, name: 'Quiet Donor', showOnWall: true, anonymous: true });
    const names = (await wall()).map((d) => d.name);
    expect(names).not.toContain('Grace Hopper');
    expect(names).toContain('Ada Lovelace');
    expect(names).toContain('Anonymous');
    expect(names).not.toContain('Quiet Donor');
    // Still counted in the totals: hidden is about publishing, not money.
    const progress = (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number };
    expect(progress.raised).toBe(18000);

    // An explicit later choice, audited like any correction.
    await admin.json(`/offline-donations/${hidden.id}`, { method: 'PATCH', body: { showOnWall: true } });
    expect((await wall()).map((d) => d.name)).toContain('Grace Hopper');
    const log = await admin.json<{ entries: { action: string; entityId: string; after: Record<string, unknown> }[] }>(
      '/audit-log?entity=gift',
    );
    expect(log.entries.find((e) => e.entityId === hidden.id && e.action === 'offline_gift.update')?.after).toMatchObject({
      showOnWall: true,
    });
  });

  it('refuses a non-boolean choice', async () => {
    const res = await admin.req(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 100, receivedAt: '2026-12-02', showOnWall: 'yes' },
    });
    expect(res.status).toBe(400);
  });
});
