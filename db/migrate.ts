import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { fileURLToPath } from 'node:url';
import * as m0001 from './migrations/0001_core.js';

/**
 * Migrations are listed statically (not read from the folder at run time) so that they work the
 * same under tsx, vitest and a bundler. Add each new file here; never edit one that has landed.
 */
const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_digest': await import('./migrations/0002_digest.js'),
  '0003_admin': await import('./migrations/0003_admin.js'),
  '0004_parked_events': await import('./migrations/0004_parked_events.js'),
  '0005_admin_roles': await import('./migrations/0005_admin_roles.js'),
  '0006_ledger_facts': await import('./migrations/0006_ledger_facts.js'),
  '0007_hardening': await import('./migrations/0007_hardening.js'),
  '0008_organisation': await import('./migrations/0008_organisation.js'),
  '0010_mail': await import('./migrations/0010_mail.js'),
  '0011_receipts': await import('./migrations/0011_receipts.js'),
  '0012_manage': await import('./migrations/0012_manage.js'),
  '0013_statements': await import('./migrations/0013_statements.js'),
  '0015_stripe_ops': await import('./migrations/0015_stripe_ops.js'),
  '0018_giving': await import('./migrations/0018_giving.js'),
  '0019_variants': await import('./migrations/0019_variants.js'),
  '0020_languages': await import('./migrations/0020_languages.js'),
  '0021_pace_frequency': await import('./migrations/0021_pace_frequency.js'),
  '0022_campaign_slots': await import('./migrations/0022_campaign_slots.js'),
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

/** Every migration this version knows, in the order they run. */
export const knownMigrations = (): string[] => Object.keys(migrations).sort();

/** Up or down to exactly `name` (an import restores rows into the schema they were exported
 * from, then migrates them forward like any other data). */
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateTo(name);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

// `npm run migrate`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { loadConfig } = await import('../server/config.js');
  const { connect } = await import('./connect.js');
  const config = loadConfig();
  const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, preparedStatements: false });
  await migrateToLatest(handle.db);
  await handle.close();
  console.log('migrations: up to date');
}
