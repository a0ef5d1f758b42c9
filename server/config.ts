import { z } from 'zod';

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
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_URL: urlBase.optional(),
  DATABASE_URL: optionalString.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  ),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  STRIPE_SECRET_KEY: optionalString.pipe(
    z.string().regex(/^(sk|rk)_(test|live)_/, 'must look like sk_test_..., sk_live_... or rk_...').optional(),
  ),
  STRIPE_WEBHOOK_SECRET: optionalString.pipe(
    z.string().startsWith('whsec_', 'must start with whsec_').optional(),
  ),
  STRIPE_API_BASE: optionalString.pipe(urlBase.optional()),
  ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(10, 'must be at least 10 characters').optional()),
  CHECKOUT_RATE_LIMIT: z.coerce.number().int().min(1).max(100000).default(10),
  // false | true (one proxy) | N: the number of reverse proxies of ours in front of the server.
  TRUST_PROXY: z
    .string()
    .trim()
    .toLowerCase()
    .default('false')
    .transform((v) => (v === '' || v === 'false' ? 0 : v === 'true' ? 1 : /^\d{1,2}$/.test(v) ? Number(v) : Number.NaN))
    .pipe(z.number({ error: 'must be false, true or a number of proxy hops (0-20)' }).int().min(0).max(20, 'must be false, true or a number of proxy hops (0-20)')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  stripeSecretKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  stripeApiBase: string | undefined;
  /** True when the built-in emulator stands in for Stripe (no secret key and no API base). */
  emulator: boolean;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  checkoutRateLimit: number;
  /** How many reverse proxies of ours append to X-Forwarded-For (0: believe none of it). */
  trustProxy: number;
  logLevel: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  const e = parsed.data;
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET && !e.STRIPE_API_BASE) {
    throw new ConfigError('Invalid configuration: STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
  }
  if (e.STRIPE_API_BASE && !e.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration: STRIPE_WEBHOOK_SECRET is required when STRIPE_API_BASE is set');
  }
  if ((e.ADMIN_EMAIL && !e.ADMIN_PASSWORD) || (!e.ADMIN_EMAIL && e.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  return {
    port: e.PORT,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    stripeSecretKey: e.STRIPE_SECRET_KEY,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
    stripeApiBase: e.STRIPE_API_BASE,
    emulator: !e.STRIPE_SECRET_KEY && !e.STRIPE_API_BASE,
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    checkoutRateLimit: e.CHECKOUT_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  };
}
