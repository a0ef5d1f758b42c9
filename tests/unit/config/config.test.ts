import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.js';

describe('configuration', () => {
  it('starts with no environment at all: embedded database, emulator, port 3000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, publicUrl: 'http://localhost:3000', databaseUrl: undefined, emulator: true, checkoutRateLimit: 10, dataDir: './data' });
  });

  it('takes the organisation defaults, the time zone in its canonical spelling, UTC when unset', () => {
    expect(loadConfig({}).org).toEqual({ name: '', address: '', timeZone: 'UTC', taxId: '' });
    expect(loadConfig({ ORG_NAME: 'Riverside', ORG_TIMEZONE: 'america/new_york' }).org).toMatchObject({ name: 'Riverside', timeZone: 'America/New_York' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ STRIPE_SECRET_KEY: 'pk_live_123' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_SECRET_KEY: 'sk_live_123' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_API_BASE: 'ftp://stripe' }, 'STRIPE_API_BASE'],
    [{ CHECKOUT_RATE_LIMIT: '0' }, 'CHECKOUT_RATE_LIMIT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_EMAIL: 'a@b.org' }, 'ADMIN_PASSWORD'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ ORG_TIMEZONE: 'Eastern' }, 'ORG_TIMEZONE'],
    [{ ORG_TIMEZONE: '+05:00' }, 'ORG_TIMEZONE'],
  ])('refuses %o with one line naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (e) {
      expect((e as Error).message).toContain(name);
      expect((e as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('points the SDK at another Stripe-compatible server with STRIPE_API_BASE', () => {
    const c = loadConfig({ STRIPE_API_BASE: 'http://127.0.0.1:12111/', STRIPE_WEBHOOK_SECRET: 'whsec_x' });
    expect(c.emulator).toBe(false);
    expect(c.stripeApiBase).toBe('http://127.0.0.1:12111');
  });
});
