import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { reconcileMissedEvents } from '../../../server/webhooks/reconcile.js';

/** Webhooks that never got through (endpoint misconfigured for days) are recovered from Stripe's event list. */
describe.each(testDatabaseKinds())('missed-webhook reconciliation on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    // The app checks a different secret than the emulator signs with: every delivery is refused,
    // as after a botched secret rotation.
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { STRIPE_WEBHOOK_SECRET: 'whsec_rotated_but_not_updated' },
    });
    await makeCampaign(ctx.db, { slug: 'year-end' });
  });
  afterAll(async () => ctx?.close());

  const progress = async () => {
    ctx.app.progressCache.invalidate(0);
    return (await (await ctx.app.request('/api/campaigns/year-end')).json()) as { raised: number; donations: number };
  };

  it('records the money of undelivered events exactly once', async () => {
    const start = async (body: object) => {
      const res = await ctx.app.request('/api/campaigns/year-end/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return ((await res.json()) as { id: string }).id;
    };
    const once = await start({ amount: 2500, frequency: 'once', email: 'a@example.org' });
    const monthly = await start({ amount: 1000, frequency: 'monthly', email: 'b@example.org' });
    await ctx.emulator.completeCheckout(once);
    await ctx.emulator.completeCheckout(monthly);
    const pi = (await ctx.stripe.checkout.sessions.retrieve(once)).payment_intent as string;
    await ctx.emulator.refund(pi, 500);
    await ctx.emulator.flush();
    expect(await progress()).toMatchObject({ raised: 0, donations: 0 });

    const first = await reconcileMissedEvents(ctx.app.deps);
    expect(first.recorded).toBeGreaterThan(0);
    expect(await progress()).toMatchObject({ raised: 2500 - 500 + 1000, donations: 2 });
    const again = await reconcileMissedEvents(ctx.app.deps);
    expect(again.recorded).toBe(0);
    expect(await progress()).toMatchObject({ raised: 3000, donations: 2 });
  });
});
