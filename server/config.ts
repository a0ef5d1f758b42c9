import { z } from 'zod';
import { canonicalTimeZone } from '../common/time.js';

/**
 * The only reader of process.env (STYLE §5). A bad value stops start-up with one line naming
 * the variable, so a newcomer never debugs a half-configured server.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const urlBase = z
  .string()
  .trim()
  .transform((v) => v.replace(/\/+$/, ''))
  .pipe(z.url({ protocol: /^https?$/ }));

const schema = z.object({
  // 0: the operating system picks a free port when the server starts (see listeningOn).
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: urlBase.optional(),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  // Named prepared statements on PostgreSQL (db/prepared.ts); off behind PgBouncer in
  // transaction mode, which moves a session's statements between server connections.
  DATABASE_PREPARED_STATEMENTS: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['on', 'off', ''], { error: 'must be on or off' }))
    .default('')
    .transform((v) => v !== 'off'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  STRIPE_SECRET_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_/, 'must look like sk_test_..., sk_live_... or rk_...')
      .optional(),
  ),
  // One signing secret, or several separated by commas while a secret is being rotated: an event
  // signed with any of them is accepted (the first is the current one). See README, Operations.
  STRIPE_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()))
      .pipe(
        z.array(z.string().startsWith('whsec_', 'must start with whsec_ (several: whsec_new,whsec_old)')).max(5, 'takes at most 5 secrets'),
      )
      .optional(),
  ),
  STRIPE_API_BASE: optionalString.pipe(urlBase.optional()),
  STRIPE_EMULATOR: z
    .enum(['1', '0', ''])
    .default('')
    .transform((v) => v === '1'),
  NODE_ENV: z.string().optional(),
  ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(10, 'must be at least 10 characters').optional()),
  CHECKOUT_RATE_LIMIT: z.coerce.number().int().min(1).max(100000).default(10),
  // Card testing (SPEC §13): per campaign, checkouts per minute and failed payments per 10 minutes.
  CAMPAIGN_CHECKOUT_LIMIT: z.coerce.number().int().min(1).max(1000000).default(60),
  CAMPAIGN_FAILURE_LIMIT: z.coerce.number().int().min(1).max(1000000).default(20),
  CAPTCHA_PROVIDER: z.enum(['', 'turnstile', 'hcaptcha']).default(''),
  CAPTCHA_SITE_KEY: optionalString.pipe(z.string().max(200).optional()),
  CAPTCHA_SECRET: optionalString.pipe(z.string().max(500).optional()),
  /** The provider's siteverify endpoint; set only to point tests at a local double. */
  CAPTCHA_VERIFY_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CAPTCHA_MINUTES: z.coerce.number().int().min(1).max(10080).default(60),
  // false | true (one proxy) | N: the number of reverse proxies of ours in front of the server.
  TRUST_PROXY: z
    .string()
    .trim()
    .toLowerCase()
    .default('false')
    .transform((v) => (v === '' || v === 'false' ? 0 : v === 'true' ? 1 : /^\d{1,2}$/.test(v) ? Number(v) : Number.NaN))
    .pipe(
      z
        .number({ error: 'must be false, true or a number of proxy hops (0-20)' })
        .int()
        .min(0)
        .max(20, 'must be false, true or a number of proxy hops (0-20)'),
    ),
  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/[^/\s]+/, 'must look like smtp://user:pass@host:587 or smtps://user:pass@host:465')
      .optional(),
  ),
  MAIL_FROM: optionalString.pipe(
    z
      .string()
      .max(320)
      .regex(/^[^\r\n]+@[^\r\n]+$/, 'must be an address, e.g. "Riverside Ledger <news@example.org>"')
      .optional(),
  ),
  ORG_NAME: optionalString.pipe(
    z
      .string()
      .max(200)
      .regex(/^[^\r\n<>]+$/, 'must be one line without < or >')
      .optional(),
  ),
  // Webhook health (SPEC §12): the admin warns when no Stripe event arrived for this long while
  // donors started checkouts.
  WEBHOOK_SILENCE_MINUTES: z.coerce.number().int().min(1).max(100_000).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The organisation's defaults (SPEC §3); an owner can change them in the admin's Settings.
  ORG_ADDRESS: optionalString.pipe(z.string().max(500).optional()),
  ORG_TIMEZONE: optionalString.pipe(
    z
      .string()
      .transform(
        (v, ctx) =>
          canonicalTimeZone(v) ??
          (ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' }), z.NEVER),
      )
      .optional(),
  ),
  ORG_TAX_ID: optionalString.pipe(z.string().max(100).optional()),
  // Signs the monthly donors' manage links in e-mails; unset → one made and kept in the database.
  LINK_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional()),
});

export interface Config {
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  /** Repeated queries as named prepared statements on PostgreSQL (DATABASE_PREPARED_STATEMENTS). */
  databasePreparedStatements: boolean;
  dataDir: string;
  stripeSecretKey: string | undefined;
  /** The current webhook signing secret (the first of STRIPE_WEBHOOK_SECRET). */
  stripeWebhookSecret: string | undefined;
  /** Every secret a webhook may be signed with: the current one, then any being retired. */
  stripeWebhookSecrets: string[];
  stripeApiBase: string | undefined;
  /** True when the built-in emulator stands in for Stripe (no secret key and no API base). */
  emulator: boolean;
  /** No real money moves (emulator, or an sk_test_/rk_test_ key): every page says TEST MODE. */
  testMode: boolean;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  checkoutRateLimit: number;
  /** Card testing: per-campaign velocity limits and the optional CAPTCHA they switch on. */
  cardTesting: {
    checkoutsPerMinute: number;
    failuresPer10Minutes: number;
    captcha: { provider: 'turnstile' | 'hcaptcha'; siteKey: string; secret: string; verifyUrl: string; minutes: number } | null;
  };
  /** How many reverse proxies of ours append to X-Forwarded-For (0: believe none of it). */
  trustProxy: number;
  logLevel: string;
  /** No Stripe event for this long while checkouts were started: the admin shows a warning. */
  webhookSilenceMinutes: number;
  /** Defaults for the organisation settings (the database row wins where set). */
  org: { name: string; address: string; timeZone: string; taxId: string };
  /** SMTP server for outgoing mail; unset → mail is kept in the built-in outbox (/admin/outbox). */
  smtpUrl: string | undefined;
  /** From header of every mail; defaults to the organisation name at no-reply@<PUBLIC_URL host>. */
  mailFrom: string;
  /** The organisation's name until organisation settings exist (server/mail/organisation.ts). */
  orgName: string;
  /** HMAC key of the signed manage links (server/manage/links.ts); unset → kept in the database. */
  linkSecret: string | undefined;
}

export class ConfigError extends Error {}

/**
 * PORT=0 asks the operating system for a free port (tests, several instances on one host): no
 * port guessed ahead of time can be taken by someone else first. Once the server listens, the
 * port it got replaces 0, and so does the default PUBLIC_URL (an explicit one is kept).
 */
export function listeningOn(config: Config, port: number): Config {
  if (config.port !== 0) return config;
  const defaultUrl = config.publicUrl === 'http://localhost:0';
  return { ...config, port, publicUrl: defaultUrl ? `http://localhost:${port}` : config.publicUrl };
}

/**
 * What `npm run stripe:setup` needs: it runs before STRIPE_WEBHOOK_SECRET exists (it prints it),
 * so the full configuration's rules about the secret do not apply. PUBLIC_URL is required: it
 * names the endpoint Stripe will call.
 */
export function loadSetupConfig(
  env: Record<string, string | undefined> = process.env,
): Pick<Config, 'publicUrl' | 'stripeSecretKey' | 'stripeApiBase'> {
  const parsed = schema.pick({ PUBLIC_URL: true, STRIPE_SECRET_KEY: true, STRIPE_API_BASE: true }).safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  if (!parsed.data.PUBLIC_URL)
    throw new ConfigError('Invalid configuration: PUBLIC_URL is required: Stripe sends webhooks to PUBLIC_URL/webhooks/stripe');
  return { publicUrl: parsed.data.PUBLIC_URL, stripeSecretKey: parsed.data.STRIPE_SECRET_KEY, stripeApiBase: parsed.data.STRIPE_API_BASE };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    // SMTP_URL carries a password: say it is wrong without echoing it into logs.
    const got =
      name === 'SMTP_URL'
        ? '(value hidden: it may contain a password)'
        : name === 'STRIPE_WEBHOOK_SECRET'
          ? '(value hidden: it is a secret)'
          : `(got ${JSON.stringify(env[name] ?? '')})`;
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message} ${got}`);
  }
  const e = parsed.data;
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET && !e.STRIPE_API_BASE) {
    throw new ConfigError('Invalid configuration: STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
  }
  if (e.STRIPE_API_BASE && !e.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration: STRIPE_WEBHOOK_SECRET is required when STRIPE_API_BASE is set');
  }
  const emulator = !e.STRIPE_SECRET_KEY && !e.STRIPE_API_BASE;
  if (e.STRIPE_EMULATOR && !emulator) {
    throw new ConfigError(
      'Invalid configuration: STRIPE_EMULATOR=1 cannot be combined with STRIPE_SECRET_KEY or STRIPE_API_BASE; unset one of them',
    );
  }
  // SPEC §2: the emulator is for a local run. A public (https) or production server that forgot
  // its key must not take "donations" on a fake payment system.
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  if (emulator && !e.STRIPE_EMULATOR && (publicUrl.startsWith('https:') || e.NODE_ENV === 'production')) {
    const why = publicUrl.startsWith('https:') ? 'PUBLIC_URL is https' : 'NODE_ENV=production';
    throw new ConfigError(
      `Refusing to start: ${why} but STRIPE_SECRET_KEY is not set, so payments would run on the built-in test emulator. Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or STRIPE_EMULATOR=1 for a demo on purpose.`,
    );
  }
  const captchaParts = [e.CAPTCHA_PROVIDER, e.CAPTCHA_SITE_KEY, e.CAPTCHA_SECRET].filter(Boolean).length;
  if (captchaParts !== 0 && captchaParts !== 3) {
    throw new ConfigError('Invalid configuration: CAPTCHA_PROVIDER, CAPTCHA_SITE_KEY and CAPTCHA_SECRET must be set together');
  }
  if ((e.ADMIN_EMAIL && !e.ADMIN_PASSWORD) || (!e.ADMIN_EMAIL && e.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  return {
    port: e.PORT,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    dataDir: e.DATA_DIR,
    stripeSecretKey: e.STRIPE_SECRET_KEY,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET?.[0],
    stripeWebhookSecrets: e.STRIPE_WEBHOOK_SECRET ?? [],
    stripeApiBase: e.STRIPE_API_BASE,
    emulator,
    testMode: !e.STRIPE_SECRET_KEY || /^(sk|rk)_test_/.test(e.STRIPE_SECRET_KEY),
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    checkoutRateLimit: e.CHECKOUT_RATE_LIMIT,
    cardTesting: {
      checkoutsPerMinute: e.CAMPAIGN_CHECKOUT_LIMIT,
      failuresPer10Minutes: e.CAMPAIGN_FAILURE_LIMIT,
      captcha:
        e.CAPTCHA_PROVIDER && e.CAPTCHA_SITE_KEY && e.CAPTCHA_SECRET
          ? {
              provider: e.CAPTCHA_PROVIDER,
              siteKey: e.CAPTCHA_SITE_KEY,
              secret: e.CAPTCHA_SECRET,
              verifyUrl:
                e.CAPTCHA_VERIFY_URL ??
                (e.CAPTCHA_PROVIDER === 'turnstile'
                  ? 'https://challenges.cloudflare.com/turnstile/v0/siteverify'
                  : 'https://api.hcaptcha.com/siteverify'),
              minutes: e.CAPTCHA_MINUTES,
            }
          : null,
    },
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    webhookSilenceMinutes: e.WEBHOOK_SILENCE_MINUTES,
    org: { name: e.ORG_NAME ?? '', address: e.ORG_ADDRESS ?? '', timeZone: e.ORG_TIMEZONE ?? 'UTC', taxId: e.ORG_TAX_ID ?? '' },
    smtpUrl: e.SMTP_URL,
    mailFrom:
      e.MAIL_FROM ??
      `"${(e.ORG_NAME ?? 'Groundswell').replace(/["\\]/g, '')}" <no-reply@${new URL(e.PUBLIC_URL ?? 'http://localhost').hostname}>`,
    orgName: e.ORG_NAME ?? 'Groundswell',
    linkSecret: e.LINK_SECRET,
  };
}
