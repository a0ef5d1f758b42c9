import { describe, expect, it } from 'vitest';
import { ConfigError, listeningOn, loadConfig } from '../../../server/config.js';

describe('configuration', () => {
  it('starts with no environment at all: embedded database, emulator, port 3000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      emulator: true,
      checkoutRateLimit: 10,
      dataDir: './data',
    });
  });

  it('takes the organisation defaults, the time zone in its canonical spelling, UTC when unset', () => {
    expect(loadConfig({}).org).toEqual({ name: '', address: '', timeZone: 'UTC', taxId: '' });
    expect(loadConfig({ ORG_NAME: 'Riverside', ORG_TIMEZONE: 'america/new_york' }).org).toMatchObject({
      name: 'Riverside',
      timeZone: 'America/New_York',
    });
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
    [{ ORG_TIMEZONE: 'Eastern' }, 'ORG_TIMEZONE'],
    [{ ORG_TIMEZONE: '+05:00' }, 'ORG_TIMEZONE'],
    [{ SMTP_URL: 'http://mail.example.org' }, 'SMTP_URL'],
    [{ MAIL_FROM: 'news@example.org\r\nBcc: all@example.org' }, 'MAIL_FROM'],
    [{ ORG_NAME: 'Evil <script>' }, 'ORG_NAME'],
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

  it('sends mail over SMTP_URL, else keeps it in the outbox; From defaults to the organisation at the public host', () => {
    expect(loadConfig({})).toMatchObject({ smtpUrl: undefined, orgName: 'Groundswell', mailFrom: '"Groundswell" <no-reply@localhost>' });
    const c = loadConfig({
      SMTP_URL: 'smtps://u:p@smtp.example.org:465',
      PUBLIC_URL: 'https://give.example.org',
      ORG_NAME: 'Riverside Ledger',
      STRIPE_EMULATOR: '1',
    });
    expect(c).toMatchObject({ smtpUrl: 'smtps://u:p@smtp.example.org:465', mailFrom: '"Riverside Ledger" <no-reply@give.example.org>' });
  });

  it('prepares statements on PostgreSQL unless DATABASE_PREPARED_STATEMENTS=off (PgBouncer in transaction mode)', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'on' }).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: ' OFF ' }).databasePreparedStatements).toBe(false);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/DATABASE_PREPARED_STATEMENTS must be on or off/);
  });

  it('never echoes the SMTP password in a configuration error', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtpx://user:hunter2@mail' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ SMTP_URL: 'smtpx://user:hunter2@mail' })).not.toThrow(/hunter2/);
  });
});

describe('the emulator is a demo, never a silent production default (SPEC §2)', () => {
  const refusal = /STRIPE_SECRET_KEY.*STRIPE_EMULATOR=1/;

  it.each([
    [{ PUBLIC_URL: 'https://give.example.org' }],
    [{ PUBLIC_URL: 'https://give.example.org', DATABASE_URL: 'postgres://db/give', STRIPE_SECRET_KEY: '' }],
    [{ PUBLIC_URL: 'https://give.example.org', STRIPE_SECRET_KEY: '   ' }],
    [{ NODE_ENV: 'production' }],
    [{ NODE_ENV: 'production', STRIPE_EMULATOR: '0' }],
  ])('refuses %o in one line naming what to set', (env) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(refusal);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('starts the emulator there only when STRIPE_EMULATOR=1 says so on purpose, and in test mode', () => {
    const c = loadConfig({ PUBLIC_URL: 'https://give.example.org', NODE_ENV: 'production', STRIPE_EMULATOR: '1' });
    expect(c).toMatchObject({ emulator: true, testMode: true });
  });

  it('a local run (http PUBLIC_URL, no NODE_ENV) still needs nothing', () => {
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:8080' })).toMatchObject({ emulator: true, testMode: true });
  });

  it('refuses STRIPE_EMULATOR=1 together with a secret key (which one is meant?)', () => {
    expect(() => loadConfig({ STRIPE_EMULATOR: '1', STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
      /STRIPE_EMULATOR/,
    );
    expect(() => loadConfig({ STRIPE_EMULATOR: 'yes' })).toThrow(/STRIPE_EMULATOR/);
  });

  it('money is live only with a live key; test keys and the emulator are TEST MODE', () => {
    const prod = { PUBLIC_URL: 'https://give.example.org', STRIPE_WEBHOOK_SECRET: 'whsec_x' };
    expect(loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_abc' }).testMode).toBe(false);
    expect(loadConfig({ ...prod, STRIPE_SECRET_KEY: 'rk_live_abc' }).testMode).toBe(false);
    expect(loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_test_abc' }).testMode).toBe(true);
    expect(loadConfig({ ...prod, STRIPE_SECRET_KEY: 'rk_test_abc' }).testMode).toBe(true);
  });

  it('PORT=0 takes the port the server was given, and PUBLIC_URL follows it unless set', () => {
    const any = loadConfig({ PORT: '0' });
    expect(any.port).toBe(0);
    expect(listeningOn(any, 43123)).toMatchObject({ port: 43123, publicUrl: 'http://localhost:43123' });
    const proxied = loadConfig({ PORT: '0', PUBLIC_URL: 'https://give.example.org', STRIPE_EMULATOR: '1' });
    expect(listeningOn(proxied, 43123)).toMatchObject({ port: 43123, publicUrl: 'https://give.example.org' });
    const fixed = loadConfig({ PORT: '8080' });
    expect(listeningOn(fixed, 8080)).toEqual(fixed);
  });
});
