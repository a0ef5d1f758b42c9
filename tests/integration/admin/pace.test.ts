import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raisedPerDay } from '../../../server/campaigns/pace-query.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, donate, signIn } from './helpers.js';

const campaign = (slug: string, title: string, startsAt: string, endsAt: string) => ({
  slug,
  title,
  headline: 'Keep independent media alive',
  message: '',
  currency: 'USD',
  goal: 100_000,
  startsAt,
  endsAt,
  presets: [1000, 2500],
});

/**
 * GET /api/admin/campaigns/:slug/pace over real ledger data: last year's campaign (10 % on
 * Dec 1, 10 % on Dec 16, 80 % on Dec 31) shapes this year's projection, as in
 * tests/unit/campaigns/pace.test.ts, whose hand-computed numbers this repeats end to end.
 */
describe.each(testDatabaseKinds())('campaign pace on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const offline = (slug: string, amount: number, receivedAt: string) =>
    admin.json(`/campaigns/${slug}/offline-donations`, { method: 'POST', body: { amount, receivedAt } });

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-16T12:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    admin = await signIn(ctx);
    // Raised nothing: never the reference, though it ended after last year's.
    await admin.json('/campaigns', {
      method: 'POST',
      body: campaign('spring-2026', 'Spring 2026', '2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z'),
    });
    await admin.json('/campaigns', {
      method: 'POST',
      body: campaign('eoy-2025', 'Year end 2025', '2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    });
    await offline('eoy-2025', 10_000, '2025-12-01T12:00:00Z');
    await offline('eoy-2025', 10_000, '2025-12-16T12:00:00Z');
    await offline('eoy-2025', 80_000, '2025-12-31T12:00:00Z');
    // A voided cheque is money of no day.
    const voided = await admin.json<{ id: string }>('/campaigns/eoy-2025/offline-donations', {
      method: 'POST',
      body: { amount: 50_000, receivedAt: '2025-12-10T12:00:00Z' },
    });
    await admin.json(`/offline-donations/${voided.id}`, { method: 'PATCH', body: { voided: true } });

    await admin.json('/campaigns', {
      method: 'POST',
      body: campaign('eoy-2026', 'Year end 2026', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    });
    await offline('eoy-2026', 20_000, '2026-12-03T12:00:00Z');
    await donate(ctx, 'eoy-2026', { amount: 10_000, email: 'ada@example.org' }); // paid now, Dec 16
  });
  afterAll(async () => ctx?.close());

  it("projects with the previous campaign's shape and says so", async () => {
    const p = await admin.json('/campaigns/eoy-2026/pace');
    expect(p).toMatchObject({
      status: 'projected',
      currency: 'USD',
      method: { kind: 'previous', slug: 'eoy-2025', sentence: 'shaped like Year end 2025 (ended 2025-12-31)' },
      elapsed: 500_000,
      expectedShare: 150_001,
      projectedRaised: 199_998,
      projectedTotal: 199_998,
      goal: 100_000,
      total: 30_000,
      stillNeeded: 70_000,
      daysLeft: 16,
      perDay: 4375,
    });
    expect(p.shapedNeed).toHaveLength(16);
    expect(p.shapedNeed.reduce((s: number, d: { amount: number }) => s + d.amount, 0)).toBe(70_000);
    // Both curves for the chart: this one to today, last year's whole, aligned on the duration.
    expect(p.curves.current).toHaveLength(16);
    expect(p.curves.current[2]).toMatchObject({ date: '2026-12-03', cumulative: 20_000 });
    expect(p.curves.current[15]).toMatchObject({ date: '2026-12-16', at: 500_000, cumulative: 30_000 });
    expect(p.curves.reference).toHaveLength(31);
    expect(p.curves.reference[0]).toMatchObject({ date: '2025-12-01', at: 32_258, cumulative: 10_000, share: 100_000 });
    expect(p.curves.reference[30]).toMatchObject({ date: '2025-12-31', at: 1_000_000, cumulative: 100_000, share: 1_000_000 });
  });

  it('uses the stated default curve when no earlier campaign raised anything, and the result once ended', async () => {
    const p = await admin.json('/campaigns/eoy-2025/pace');
    expect(p).toMatchObject({
      status: 'ended',
      method: { kind: 'default' },
      projectedRaised: 100_000,
      projectedGoal: 100_000,
      stillNeeded: 0,
      daysLeft: 0,
      perDay: null,
      curves: { reference: null },
    });
    expect(p.method.sentence).toContain('our assumption');
  });

  it("counts days in the organisation's time zone", async () => {
    const eoy = await ctx.db.selectFrom('campaigns').where('slug', '=', 'eoy-2025').select('id').executeTakeFirstOrThrow();
    // 12:00 UTC on Dec 31 is still Dec 31 in New York, 01:00 on Jan 1 in Auckland.
    expect(await raisedPerDay(ctx.db, eoy.id, 'Pacific/Auckland')).toEqual([
      { day: '2025-12-02', amount: 10_000 },
      { day: '2025-12-17', amount: 10_000 },
      { day: '2026-01-01', amount: 80_000 },
    ]);
  });

  it('answers 404 for an unknown campaign', async () => {
    expect((await admin.req('/campaigns/nope/pace')).status).toBe(404);
  });
});
