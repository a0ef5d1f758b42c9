import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.js';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { event, sid } from '../../helpers/events.js';

describe('STRIPE_WEBHOOK_SECRET with several secrets (rotation)', () => {
  it('reads a comma-separated list, the first being the current one', () => {
    const c = loadConfig({ STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: ' whsec_new , whsec_old ' });
    expect(c.stripeWebhookSecret).toBe('whsec_new');
    expect(c.stripeWebhookSecrets).toEqual(['whsec_new', 'whsec_old']);
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_one' }).stripeWebhookSecrets).toEqual(['whsec_one']);
  });

  it('refuses a list with a value that is not a signing secret, in one line that does not echo the secrets', () => {
    const env = { STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_current,sk_live_oops' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toMatch(/^Invalid configuration: STRIPE_WEBHOOK_SECRET must start with whsec_/);
      expect(message).not.toContain('whsec_current');
      expect(message).not.toContain('oops');
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(() => loadConfig({ ...env, STRIPE_WEBHOOK_SECRET: 'whsec_a,,whsec_b' })).toThrow(ConfigError);
  });

  describe('the webhook endpoint', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext('pglite', { env: { STRIPE_WEBHOOK_SECRET: 'whsec_new,whsec_old' } });
    });
    afterAll(async () => ctx?.close());

    const ping = () => event('customer.created', { id: sid('cus'), object: 'customer' }, Math.floor(Date.now() / 1000));

    it('accepts events signed with the new secret and with the one being retired', async () => {
      for (const secret of ['whsec_new', 'whsec_old']) {
        const e = ping();
        const res = await ctx.deliver(e, { secret });
        expect(res.status, secret).toBe(200);
        expect(await ctx.db.selectFrom('stripe_events').where('id', '=', e.id).select('id').executeTakeFirst()).toEqual({ id: e.id });
      }
    });

    it('still refuses any other secret, recording nothing', async () => {
      const e = ping();
      const res = await ctx.deliver(e, { secret: 'whsec_someone_else' });
      expect(res.status).toBe(400);
      expect(await ctx.db.selectFrom('stripe_events').where('id', '=', e.id).select('id').executeTakeFirst()).toBeUndefined();
    });
  });
});
