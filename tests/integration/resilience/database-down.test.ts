import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';

/**
 * SPEC §7: with the database down, webhooks get 5xx (so Stripe retries), nothing is half
 * written, and the process recovers by itself when the database is back.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('database outage on postgres', () => {
  let ctx: TestContext;
  let admin: pg.Client;
  let dbName: string;
  beforeAll(async () => {
    ctx = await createTestContext('postgres', { clock: fakeClock('2026-12-05T10:05:00Z') });
    dbName = new URL(ctx.database.url!).pathname.slice(1);
    admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.end();
    await ctx?.close();
  });

  const down = async () => {
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
  };
  const up = () => admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);

  it('answers webhooks 5xx while down, then records them exactly once when Stripe retries', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'year-end' });
    const g = await makeGift(ctx.db, c, { amount: 4200, email: 'ada@example.org' });
    const e = event(
      'checkout.session.completed',
      checkoutSession({ id: g.id, amount: 4200, campaignSlug: c.slug, email: 'ada@example.org' }, { paymentIntent: sid('pi') }),
      Date.parse('2026-12-05T10:00:00Z') / 1000,
    );

    await down();
    const during = await ctx.deliver(e);
    // 503 "retry": the event could not be applied now (Stripe retries any non-2xx).
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ error: { code: 'webhook_retry' } });
    expect((await ctx.app.request('/readyz')).status).toBe(503);

    await up();
    const retry = await ctx.deliver(e);
    expect(retry.status).toBe(200);
    expect((await ctx.deliver(e)).status).toBe(200); // and a duplicate retry
    expect((await ctx.app.request('/readyz')).status).toBe(200);
    const p = (await (await ctx.app.request('/api/campaigns/year-end')).json()) as { raised: number; donations: number };
    expect(p).toMatchObject({ raised: 4200, donations: 1 });
  });
});
