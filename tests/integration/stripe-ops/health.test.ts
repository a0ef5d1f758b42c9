import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookHealth } from '../../../server/admin/health.js';
import { runReconciliation } from '../../../server/reconcile/run.js';
import { setupWebhookEndpoint } from '../../../server/stripe-ops/setup.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

const APP_SECRET = 'whsec_app_side_secret';

/** GET /api/admin/health: what an admin needs to see whether money is flowing in. */
describe.each(testDatabaseKinds())('webhook health on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    // The emulator signs with another secret than the app checks: its deliveries are lost.
    // Events reach the app only when a test delivers them itself, signed with APP_SECRET.
    ctx = await createTestContext(kind, {
      clock: fakeClock(new Date()),
      env: { STRIPE_WEBHOOK_SECRET: APP_SECRET, WEBHOOK_SILENCE_MINUTES: '60' },
    });
    await makeCampaign(ctx.db, {
      slug: 'spring',
      startsAt: new Date(Date.now() - 86_400_000),
      endsAt: new Date(Date.now() + 30 * 86_400_000),
    });
    admin = await signIn(ctx, 'viewer@example.org', 'viewer');
  });
  afterAll(async () => ctx?.close());

  const health = (q = '') => admin.json<WebhookHealth>(`/health${q}`);
  const checkout = async (amount: number) => {
    const res = await ctx.app.request('/api/campaigns/spring/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount, frequency: 'once', email: 'donor@example.org' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  it('starts empty: nothing received, nothing failed, no reconciliation, no warning', async () => {
    const h = await health('?endpoint=false');
    expect(h.webhooks).toMatchObject({
      lastEventAt: null,
      lastEventAgeSeconds: null,
      eventsLastHour: 0,
      notApplied: { count: 0, events: [] },
    });
    expect(h.webhooks.eventsPerHour).toHaveLength(24);
    expect(h.endpoint).toBeNull();
    expect(h.reconciliation).toEqual({ last: null, lastSuccessful: null });
    expect(h.silence).toMatchObject({ thresholdMinutes: 60, checkoutsSinceLastEvent: 0, warning: null });
  });

  it('reads the endpoint through the API: its API version against the pinned one', async () => {
    await setupWebhookEndpoint(ctx.stripe, ctx.config.publicUrl);
    const h = await health();
    expect(h.endpoint).toMatchObject({
      url: 'http://groundswell.test/webhooks/stripe',
      found: true,
      apiVersion: Stripe.API_VERSION,
      pinnedVersion: Stripe.API_VERSION,
      matchesPinned: true,
      missingEvents: [],
    });
  });

  it('warns when checkouts were started and no event ever arrived', async () => {
    const cs = await checkout(2500);
    await ctx.emulator.completeCheckout(cs);
    await ctx.emulator.flush();
    const h = await health('?endpoint=false');
    expect(h.silence.checkoutsSinceLastEvent).toBe(1);
    expect(h.silence.warning).toMatch(/No Stripe event has ever arrived, but 1 checkout/);
  });

  it('shows the last reconciliation and what it recovered; the events it applied count as received', async () => {
    const r = await runReconciliation(ctx.app.deps, ctx.database, {
      since: new Date(Date.now() - 86_400_000),
      until: ctx.clock(),
      trigger: 'schedule',
    });
    expect(r.ran).toBe(true);
    const h = await health('?endpoint=false');
    expect(h.reconciliation.last).toMatchObject({ trigger: 'schedule', status: 'ok' });
    expect(h.reconciliation.last!.recovered).toBeGreaterThan(0);
    expect(h.reconciliation.last!.lines.join('\n')).toMatch(/checkout\.session\.completed/);
    expect(h.reconciliation.lastSuccessful?.id).toBe(h.reconciliation.last!.id);
    const stored = Number(
      (
        await ctx.db
          .selectFrom('stripe_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(h.webhooks.eventsLastHour).toBe(stored);
    expect(h.webhooks.eventsPerHour.reduce((s, x) => s + x.count, 0)).toBe(stored);
    expect(h.webhooks.lastEventAt).not.toBeNull();
    expect(h.webhooks.lastEventAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(h.silence.warning).toBeNull();
  });

  it('lists an event that could not be applied, with the reason', async () => {
    // An event in an old API version names a charge Stripe does not know: it cannot be re-read.
    const event = {
      id: 'evt_health_unreadable_1',
      object: 'event',
      api_version: '2020-08-27',
      created: Math.floor(Date.now() / 1000),
      type: 'charge.refunded',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: 'ch_does_not_exist', object: 'charge', amount_refunded: 100, payment_intent: 'pi_x' } },
    };
    const res = await ctx.deliver(event, { secret: APP_SECRET });
    expect(res.status).toBe(200);
    const h = await health('?endpoint=false');
    expect(h.webhooks.notApplied.count).toBe(1);
    expect(h.webhooks.notApplied.events[0]).toMatchObject({ id: 'evt_health_unreadable_1', type: 'charge.refunded', status: 'failed' });
    expect(h.webhooks.notApplied.events[0]!.reason).toMatch(/ch_does_not_exist/);
    expect(h.webhooks.lastEventType).toBe('charge.refunded');
  });

  it('warns again when nothing arrived for longer than the threshold while a checkout was started', async () => {
    ctx.clock.advance(2 * 3_600_000);
    await checkout(1000);
    const h = await health('?endpoint=false');
    expect(h.webhooks.lastEventAgeSeconds).toBeGreaterThanOrEqual(2 * 3600 - 120);
    expect(h.silence.checkoutsSinceLastEvent).toBe(1);
    expect(h.silence.warning).toMatch(/No Stripe event has arrived for 1[12]\d minutes, but 1 checkout/);
  });

  it('refuses unknown query parameters', async () => {
    expect((await admin.req('/health?endpoint=maybe')).status).toBe(400);
  });
});
