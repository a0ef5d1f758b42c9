import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, connect } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';

export type DbKind = 'pglite' | 'postgres';

/** The databases every database suite runs on: embedded PGlite always, real PostgreSQL when
 * TEST_DATABASE_URL is set (CI sets it). */
export function testDatabaseKinds(): DbKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase extends DatabaseHandle {
  url?: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database per call: in-memory PGlite, or a new PostgreSQL database that
 * drop() removes, so runs never share state. */
export async function createTestDatabase(kind: DbKind, opts: { preparedStatements?: boolean } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await connect({ dataDir: '', inMemory: true });
    await migrateToLatest(handle.db);
    return { ...handle, drop: () => handle.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `gs_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  // DATABASE_PREPARED_STATEMENTS=off runs a suite or bench without plan reuse (db/prepared.ts).
  const preparedStatements = opts.preparedStatements ?? process.env.DATABASE_PREPARED_STATEMENTS?.trim().toLowerCase() !== 'off';
  const handle = await connect({ databaseUrl: url, dataDir: '', preparedStatements });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
