import { describe, expect, it } from 'vitest';
import { ConfigError, listeningOn, loadConfig } from '../../../server/config.js';

describe('configuration', () => {
  it('starts with no environment at all: embedded database, emulator, port 3000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, publicUrl: 'http://localhost:3000', databaseUrl: undefined, emulator: true, checkoutRateLimit: 10, dataDir: './data' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ STRIPE_SECRET_KEY: 'pk_live_123' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_SECRET_KEY: 'sk_live_123' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_API_BASE: 'ftp://stripe' }, 'STRIPE_API_BASE'],
    [{ CHECKOUT_RATE_LIMIT: '0' }, 'CHECKOUT_RATE_LIMIT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_EMAIL: 'a@b.org' }, 'ADMIN_PASSWORD'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
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

  it('PORT=0 takes the port the server was given, and PUBLIC_URL follows it unless set', () => {
    const any = loadConfig({ PORT: '0' });
    expect(any.port).toBe(0);
    expect(listeningOn(any, 43123)).toMatchObject({ port: 43123, publicUrl: 'http://localhost:43123' });
    const proxied = loadConfig({ PORT: '0', PUBLIC_URL: 'https://give.example.org' });
    expect(listeningOn(proxied, 43123)).toMatchObject({ port: 43123, publicUrl: 'https://give.example.org' });
    const fixed = loadConfig({ PORT: '8080' });
    expect(listeningOn(fixed, 8080)).toEqual(fixed);
  });
});
