import type { Kysely } from 'kysely';
import type Stripe from 'stripe';
import type { Database } from '../db/schema.js';
import type { Config } from './config.js';
import type { ProgressBus } from './live/bus.js';
import type { Logger } from './logger.js';

/** Everything the app needs, passed in (STYLE §8): tests hand in a fresh database and a fake clock. */
export interface AppDeps {
  db: Kysely<Database>;
  stripe: Stripe;
  config: Config;
  clock: () => Date;
  bus: ProgressBus;
  log: Logger;
  /** The database is a single connection (embedded PGlite): one ledger transaction at a time. */
  singleConnection?: boolean;
  /** The built-in Stripe emulator's routes, mounted on the same server in demo mode. */
  emulatorRoutes?: import('hono').Hono;
}
