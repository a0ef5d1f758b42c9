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
  // 0: the operating system picks a free port when the server starts (see listeningOn).
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
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
  TRUST_PROXY: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1'),
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
  /** Believe X-Forwarded-For (only behind a reverse proxy that sets it). */
  trustProxy: boolean;
  logLevel: string;
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
