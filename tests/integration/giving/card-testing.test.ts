import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

/** A local double of Turnstile's siteverify API: form POST secret + response → {"success": bool}. */
async function siteverifyDouble() {
  const calls: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      calls.push(form);
      const success = form.get('secret') === 'captcha-secret' && form.get('response') === 'good-token';
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ success, 'error-codes': success ? [] : ['invalid-input-response'] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/turnstile/v0/siteverify`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(testDatabaseKinds())('card-testing velocity limits on %s', (kind) => {
  const post = (ctx: TestContext, slug: string, body: Record<string, unknown> = {}, ip = '203.0.113.1') =>
    ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      body: JSON.stringify({ amount: 2500, frequency: 'once', ...body }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    });
  const progress = async (ctx: TestContext, slug: string) => {
    ctx.app.progressCache.invalidate(0);
    return (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as Record<string, unknown>;
  };

  describe('without a CAPTCHA', () => {
    let ctx: TestContext;
    let owner: AdminClient;
    beforeAll(async () => {
      ctx = await createTestContext(kind, {
        clock: fakeClock('2026-12-05T10:00:00Z'),
        env: { CHECKOUT_RATE_LIMIT: '1000', CAMPAIGN_CHECKOUT_LIMIT: '3', CAMPAIGN_FAILURE_LIMIT: '2', TRUST_PROXY: '1' },
      });
      await makeCampaign(ctx.db, { slug: 'year-end' });
      owner = await signIn(ctx);
    });
    afterAll(async () => ctx?.close());

    it('a burst of checkouts from many addresses trips the limit, alerts the admin once, and blocks no donor', async () => {
      for (let i = 0; i < 8; i++) {
        const res = await post(ctx, 'year-end', {}, `198.51.100.${i + 1}`);
        expect(res.status, `checkout ${i + 1}`).toBe(201);
      }
      const { alerts } = await owner.json<{ alerts: { kind: string; campaign: string; message: string }[] }>('/payments');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'card_testing', campaign: 'year-end' });
      expect(alerts[0]!.message).toContain('more than 3 checkouts in a minute');
      expect(alerts[0]!.message).toContain('donors are not slowed down');
      expect((await progress(ctx, 'year-end')).captcha).toBeUndefined();
      // A real donor right after the burst still reaches Checkout.
      expect((await post(ctx, 'year-end', { email: 'real@example.org' }, '192.0.2.44')).status).toBe(201);
    });

    it('failed payments count per campaign (signed payment_intent.payment_failed events)', async () => {
      await makeCampaign(ctx.db, { slug: 'failing' });
      for (let i = 0; i < 4; i++) {
        const res = await ctx.deliver({
          id: `evt_failed_${i}`,
          object: 'event',
          type: 'payment_intent.payment_failed',
          api_version: '2026-10-28.endive',
          created: Math.floor(Date.parse('2026-12-05T10:00:00Z') / 1000),
          livemode: false,
          data: {
            object: {
              id: `pi_failed_${i}`,
              object: 'payment_intent',
              status: 'requires_payment_method',
              metadata: { campaign: 'failing' },
            },
          },
        });
        expect(res.status).toBe(200);
      }
      const { alerts } = await owner.json<{ alerts: { campaign: string; message: string }[] }>('/payments');
      const failing = alerts.filter((a) => a.campaign === 'failing');
      expect(failing).toHaveLength(1);
      expect(failing[0]!.message).toContain('more than 2 failed payments in 10 minutes');
    });
  });

  describe('with a CAPTCHA (Turnstile, verified against a local double)', () => {
    let ctx: TestContext;
    let double: Awaited<ReturnType<typeof siteverifyDouble>>;
    beforeAll(async () => {
      double = await siteverifyDouble();
      ctx = await createTestContext(kind, {
        clock: fakeClock('2026-12-05T10:00:00Z'),
        env: {
          CHECKOUT_RATE_LIMIT: '1000',
          CAMPAIGN_CHECKOUT_LIMIT: '3',
          TRUST_PROXY: '1',
          CAPTCHA_PROVIDER: 'turnstile',
          CAPTCHA_SITE_KEY: '0x4AAAAAAA-site',
          CAPTCHA_SECRET: 'captcha-secret',
          CAPTCHA_VERIFY_URL: double.url,
          CAPTCHA_MINUTES: '30',
        },
      });
      await makeCampaign(ctx.db, { slug: 'year-end' });
      await makeCampaign(ctx.db, { slug: 'other' });
    });
    afterAll(async () => {
      await ctx?.close();
      await double?.close();
    });

    it('switches the CAPTCHA on for a while when the limit trips, verifies it server-side, and only on that campaign', async () => {
      for (let i = 0; i < 3; i++) expect((await post(ctx, 'year-end', {}, `198.51.100.${i + 1}`)).status).toBe(201);
      expect(double.calls).toHaveLength(0);
      // The fourth goes over the limit: from now on the campaign wants the CAPTCHA.
      const tripped = await post(ctx, 'year-end', {}, '198.51.100.9');
      expect(tripped.status).toBe(403);
      expect(((await tripped.json()) as { error: { code: string } }).error.code).toBe('captcha_required');
      expect((await progress(ctx, 'year-end')).captcha).toEqual({ provider: 'turnstile', siteKey: '0x4AAAAAAA-site' });
      expect((await progress(ctx, 'other')).captcha).toBeUndefined();
      expect((await post(ctx, 'other')).status).toBe(201);

      const bad = await post(ctx, 'year-end', { captchaToken: 'forged' }, '198.51.100.10');
      expect(bad.status).toBe(403);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('captcha_failed');
      const good = await post(ctx, 'year-end', { captchaToken: 'good-token' }, '198.51.100.11');
      expect(good.status).toBe(201);
      expect(double.calls.at(-1)!.get('secret')).toBe('captcha-secret');
      expect(double.calls.at(-1)!.get('response')).toBe('good-token');
      expect(double.calls.at(-1)!.get('remoteip')).toBe('198.51.100.11');

      // After CAPTCHA_MINUTES it switches itself off.
      ctx.clock.advance(31 * 60_000);
      expect((await progress(ctx, 'year-end')).captcha).toBeUndefined();
    });
  });
});
