/**
 * `npm run export -- --out FILE [--with-credentials]` and `npm run import -- FILE [--allow-test-data]`
 * against the configured database (DATABASE_URL, else the embedded one under DATA_DIR). Every
 * refusal is one line on stderr and exit code 1; nothing is written then.
 */
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { DatabaseInUseError, connect } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { exportToFile } from './export.js';
import { modeOf } from './format.js';
import { ImportRefused, importFile } from './import.js';

export const USAGE = `usage: npm run export -- --out FILE [--with-credentials]
       npm run import -- FILE [--allow-test-data]`;

export interface BackupIo {
  out(line: string): void;
  err(line: string): void;
}

/** Runs `export ...` or `import ...`; returns the exit code. */
export async function runBackupCli(argv: string[], ctx: { config: Config; io: BackupIo; now?: () => Date }): Promise<number> {
  const { config, io } = ctx;
  const args = argv.filter((a) => a !== '--');
  const [command, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith('--') && a !== '--out'));
  const outAt = rest.indexOf('--out');
  const positional = rest.filter((a, i) => !a.startsWith('--') && !(outAt >= 0 && i === outAt + 1));
  const known = command === 'export' ? ['--with-credentials'] : ['--allow-test-data'];
  const unknownFlag = [...flags].find((f) => !known.includes(f));
  if (unknownFlag || (command !== 'export' && command !== 'import')) {
    io.err(unknownFlag ? `Unknown option ${unknownFlag}\n${USAGE}` : USAGE);
    return 1;
  }
  const file = command === 'export' ? (outAt >= 0 ? rest[outAt + 1] : undefined) : positional[0];
  if (!file || (command === 'export' && positional.length) || (command === 'import' && positional.length !== 1)) {
    io.err(USAGE);
    return 1;
  }

  let handle: Awaited<ReturnType<typeof connect>>;
  try {
    handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, preparedStatements: false });
  } catch (err) {
    if (err instanceof DatabaseInUseError) {
      io.err(
        `${err.message} (npm run ${command} needs the server stopped when it runs on the embedded database; owners can download an export from the admin's Settings instead.)`,
      );
      return 1;
    }
    throw err;
  }
  try {
    if (command === 'export') {
      await migrateToLatest(handle.db);
      const header = await exportToFile(handle.db, file, {
        ...modeOf(config),
        withCredentials: flags.has('--with-credentials'),
        database: handle.kind,
        now: (ctx.now ?? (() => new Date()))(),
      });
      const rows = header.tables.reduce((n, t) => n + t.rows, 0);
      io.out(`Exported ${rows} rows of ${header.tables.length} tables (${header.mode} mode) to ${file}`);
      io.out(`sha256 ${header.sha256}`);
      for (const line of await figures(handle.db)) io.out(line);
      if (!header.credentials) io.out('Admin passwords and signing keys were left out; add --with-credentials to include them.');
      return 0;
    }
    const summary = await importFile(handle.db, file, { target: modeOf(config), allowTestData: flags.has('--allow-test-data') });
    const { header } = summary;
    const rows = Object.values(summary.rows).reduce((n, r) => n + r, 0);
    io.out(
      `Imported ${rows} rows of ${Object.keys(summary.rows).length} tables from ${file} (exported ${header.createdAt} by Groundswell ${header.app.version}, ${header.mode} mode).`,
    );
    for (const line of await figures(handle.db)) io.out(line);
    if (!header.credentials) {
      const who = summary.owners.length ? summary.owners[0]! : 'you@example.org';
      io.out(
        `Admins were exported without passwords: give an owner one with \`npm run admin -- reset-password ${who}\`, or create a new owner with \`npm run admin -- create EMAIL\`.`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof ImportRefused) {
      io.err(err.message);
      return 1;
    }
    throw err;
  } finally {
    await handle.close();
  }
}

/** Each campaign's figures, printed by both commands so an operator can compare them by eye. */
async function figures(db: Kysely<any>): Promise<string[]> {
  try {
    const r = await sql<{ slug: string; currency: string; raised: number; donations: number; donors: number }>`
      select c.slug, c.currency, t.raised, t.donations, t.donors
      from campaigns c join campaign_totals t on t.campaign_id = c.id order by c.id`.execute(db);
    return r.rows.map((c) => `  ${c.slug}: raised ${c.raised} (${c.currency} minor units), ${c.donations} donations, ${c.donors} donors`);
  } catch {
    return [];
  }
}

// `npm run export` / `npm run import`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  try {
    process.exitCode = await runBackupCli(process.argv.slice(2), {
      config,
      io: { out: (l) => console.log(l), err: (l) => console.error(l) },
    });
  } catch (err) {
    console.error(`${process.argv[2] ?? 'backup'} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
