import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, signIn } from './helpers.js';

const BASE = {
  slug: 'capped',
  title: 'Capped',
  headline: 'Keep the lights on',
  message: '',
  currency: 'EUR',
  goal: 500_000,
  startsAt: '2026-11-01T00:00:00Z',
  endsAt: '2027-01-01T00:00:00Z',
  presets: [1000, 2500],
};

/**
 * Frequency capping (SPEC §13, issue 14), the server's half: the admin sets "at most N banner
 * views per reader per D days" per campaign, and the public progress carries it to the widget,
 * which counts in the host page's storage. The cached body (what the fast read path serves byte
 * for byte) follows an edit without anyone clearing it by hand.
 */
describe.each(testDatabaseKinds())('campaign frequency cap on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const progress = async (slug: string) => (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    admin = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());

  it('is saved with the campaign and shown in the public progress; uncapped is null', async () => {
    const created = await admin.json('/campaigns', { method: 'POST', body: { ...BASE, frequency: { impressions: 3, days: 7 } } });
    expect(created.frequency).toEqual({ impressions: 3, days: 7 });
    expect((await progress('capped')).frequency).toEqual({ impressions: 3, days: 7 });
    await admin.json('/campaigns', { method: 'POST', body: { ...BASE, slug: 'open-ended' } });
    expect((await progress('open-ended')).frequency).toBeNull();
    const row = await ctx.db
      .selectFrom('campaigns')
      .where('slug', '=', 'capped')
      .select(['frequency_impressions', 'frequency_days'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ frequency_impressions: 3, frequency_days: 7 });
  });

  it('an edit reaches the cached public answer (the fast path) and the audit log', async () => {
    await progress('capped'); // warm the cache
    await admin.json('/campaigns/capped', { method: 'PATCH', body: { frequency: { impressions: 5, days: 30 } } });
    await expect.poll(async () => (await progress('capped')).frequency).toEqual({ impressions: 5, days: 30 });
    // The bytes the fast read path would serve are the route's.
    const body = await (await ctx.app.request('/api/campaigns/capped')).text();
    expect(ctx.app.progressCache.peek('capped')?.body).toBe(body);

    await admin.json('/campaigns/capped', { method: 'PATCH', body: { frequency: null } });
    await expect.poll(async () => (await progress('capped')).frequency).toBeNull();

    const { entries } = await admin.json<{ entries: any[] }>('/audit-log?entity=campaign');
    const edits = entries.filter((e) => e.action === 'campaign.update');
    expect(edits[0]).toMatchObject({ before: { frequency: { impressions: 5, days: 30 } }, after: { frequency: null } });
    expect(edits[1]).toMatchObject({
      before: { frequency: { impressions: 3, days: 7 } },
      after: { frequency: { impressions: 5, days: 30 } },
    });
  });

  it.each([
    [{ impressions: 0, days: 7 }, 'frequency.impressions'],
    [{ impressions: 1001, days: 7 }, 'frequency.impressions'],
    [{ impressions: 2.5, days: 7 }, 'frequency.impressions'],
    [{ impressions: 3, days: 0 }, 'frequency.days'],
    [{ impressions: 3, days: 366 }, 'frequency.days'],
    [{ impressions: 3 }, 'frequency.days'],
    [{ days: 7 }, 'frequency.impressions'],
    [{ impressions: 3, days: 7, per: 'reader' }, 'frequency.per'],
    ['3 per week', 'frequency'],
  ])('refuses a bad cap %j with 400 naming %s, and changes nothing', async (frequency, field) => {
    const res = await admin.req('/campaigns/open-ended', { method: 'PATCH', body: { frequency } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    const created = await admin.req('/campaigns', { method: 'POST', body: { ...BASE, slug: 'bad-cap', frequency } });
    expect(created.status).toBe(400);
    expect((await progress('open-ended')).frequency).toBeNull();
    expect(await ctx.db.selectFrom('campaigns').where('slug', '=', 'bad-cap').select('id').execute()).toHaveLength(0);
  });

  it('the database holds both or neither, within the bounds, whoever writes', async () => {
    const set = (impressions: number | null, days: number | null) =>
      sql`update campaigns set frequency_impressions = ${impressions}, frequency_days = ${days} where slug = 'open-ended'`.execute(ctx.db);
    await expect(set(3, null)).rejects.toThrow(/campaigns_frequency/);
    await expect(set(null, 7)).rejects.toThrow(/campaigns_frequency/);
    await expect(set(0, 7)).rejects.toThrow(/campaigns_frequency/);
    await set(3, 7);
    await set(null, null);
  });
});
