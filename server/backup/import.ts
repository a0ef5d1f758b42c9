import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type Kysely, type Transaction, sql } from 'kysely';
import { knownMigrations, migrateTo, migrateToLatest } from '../../db/migrate.js';
import { type TableInfo, executedMigrations, quoteIdent, readCatalog } from './catalog.js';
import { type ExportHeader, FORMAT_NAME, FORMAT_VERSION, type Mode, TruncatedError, headerSchema, lines } from './format.js';

/** Why an import did not start; its message is the one line the operator reads. Nothing was
 * written when this is thrown. */
export class ImportRefused extends Error {}

export interface ImportOptions {
  /** The installation receiving the data (its configuration). */
  target: Mode;
  allowTestData: boolean;
  /** Rows per INSERT (tests make it small). */
  batchRows?: number;
}

export interface ImportSummary {
  header: ExportHeader;
  rows: Record<string, number>;
  /** The admins as imported (e-mail, role), for the closing advice when passwords were not included. */
  owners: string[];
}

const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const BATCH_ROWS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;
const ROW_LINE = /^\{"table":("(?:[^"\\]|\\.)*"),"row":\{/;

type Line =
  | { kind: 'row'; table: string; row: string }
  | { kind: 'sequence'; name: string; table: string | null; column: string | null; value: number };

function parseLine(text: string): Line {
  const m = ROW_LINE.exec(text);
  if (m && text.endsWith('}}')) return { kind: 'row', table: JSON.parse(m[1]!) as string, row: text.slice(m[0].length - 1, -1) };
  if (text.startsWith('{"sequence":')) {
    const s = JSON.parse(text) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    if (typeof s.sequence === 'string' && typeof s.value === 'number' && Number.isSafeInteger(s.value)) {
      return { kind: 'sequence', name: s.sequence, table: str(s.table), column: str(s.column), value: s.value };
    }
  }
  throw new ImportRefused(
    'Refusing to import: the file has a line that is neither a row nor a sequence; it was not written by npm run export.',
  );
}

/** The first line, read on its own (a header is small; a file without one is not an export). */
export async function readHeader(file: string): Promise<ExportHeader> {
  let first: Buffer | undefined;
  try {
    const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const nl = chunk.indexOf(0x0a);
      chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
      size += chunk.length;
      if (nl !== -1) {
        first = Buffer.concat(chunks);
        break;
      }
      if (size > MAX_HEADER_BYTES) break;
    }
    stream.destroy();
  } catch (err) {
    throw new ImportRefused(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!first) throw new ImportRefused(`Refusing to import: ${file} has no header line (empty, truncated or not an export).`);
  let json: unknown;
  try {
    json = JSON.parse(first.toString('utf8'));
  } catch {
    throw new ImportRefused(`Refusing to import: ${file} does not start with a Groundswell export header.`);
  }
  const o = json as Record<string, unknown>;
  if (o?.format !== FORMAT_NAME) throw new ImportRefused(`Refusing to import: ${file} is not a Groundswell export.`);
  if (typeof o.formatVersion === 'number' && o.formatVersion > FORMAT_VERSION) {
    throw new ImportRefused(
      `Refusing to import: the file is export format ${o.formatVersion}, made by Groundswell ${String((o.app as { version?: string })?.version ?? 'newer')}; this installation reads format ${FORMAT_VERSION} and older. Upgrade Groundswell here first.`,
    );
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success)
    throw new ImportRefused(`Refusing to import: the header of ${file} is damaged (${parsed.error.issues[0]!.path.join('.')}).`);
  return parsed.data;
}

/**
 * The checks that need no database: a newer schema, test money into a live installation, and
 * the whole file read once: complete (counts), unchanged (SHA-256), well-formed. Only then does
 * anything get written.
 */
export async function verifyFile(file: string, header: ExportHeader, opts: ImportOptions): Promise<void> {
  const known = new Set(knownMigrations());
  const unknown = header.migrations.filter((m) => !known.has(m));
  if (unknown.length) {
    throw new ImportRefused(
      `Refusing to import: the file was exported by a newer Groundswell (${header.app.version}, schema ${unknown.at(-1)}); upgrade this installation first.`,
    );
  }
  if (!header.migrations.length) throw new ImportRefused('Refusing to import: the header names no schema version.');
  const testIntoLive = opts.target.mode === 'live' && !opts.allowTestData;
  if (testIntoLive && header.mode === 'test') {
    throw new ImportRefused(
      `Refusing to import: the file holds test-mode data (payments on ${header.stripe === 'emulator' ? 'the built-in emulator' : 'an sk_test_ key'}) and this installation is live; add --allow-test-data if you really want test donations here.`,
    );
  }

  const hash = createHash('sha256');
  const expected = new Map(header.tables.map((t) => [t.name, t.rows]));
  const seen = new Map<string, number>();
  const order = header.tables.map((t) => t.name);
  let at = 0; // index in `order` of the table being read: rows come table by table, in header order
  let sequences = 0;
  let total = 0;
  let testEvents = 0;
  let first = true;
  try {
    for await (const line of lines(createReadStream(file, { highWaterMark: 1024 * 1024 }))) {
      if (first) {
        first = false;
        continue;
      }
      hash.update(line);
      hash.update('\n');
      total++;
      if (total > header.lines) continue; // counted, reported below as a changed file
      const l = parseLine(line.toString('utf8'));
      if (l.kind === 'sequence') {
        sequences++;
        continue;
      }
      if (sequences) throw new ImportRefused('Refusing to import: rows after the sequences; the file was not written by npm run export.');
      while (at < order.length && order[at] !== l.table) at++;
      if (at === order.length || !expected.has(l.table)) {
        throw new ImportRefused(`Refusing to import: rows of table ${l.table} out of the header's order; the file was edited.`);
      }
      seen.set(l.table, (seen.get(l.table) ?? 0) + 1);
      if (l.table === 'stripe_events' && /"livemode":false/.test(l.row)) testEvents++;
    }
  } catch (err) {
    if (err instanceof TruncatedError)
      throw new ImportRefused('Refusing to import: the file is truncated (it ends in the middle of a line).');
    throw err;
  }
  if (total < header.lines) {
    throw new ImportRefused(`Refusing to import: the file is truncated (${total} of ${header.lines} lines after the header).`);
  }
  if (hash.digest('hex') !== header.sha256 || total !== header.lines) {
    throw new ImportRefused('Refusing to import: checksum mismatch; the file was changed or damaged after it was exported.');
  }
  for (const [name, rows] of expected) {
    if ((seen.get(name) ?? 0) !== rows)
      throw new ImportRefused(`Refusing to import: table ${name} has ${seen.get(name) ?? 0} rows, the header says ${rows}.`);
  }
  if (sequences !== header.sequences) throw new ImportRefused('Refusing to import: the sequences do not match the header.');
  if (testIntoLive && testEvents) {
    throw new ImportRefused(
      `Refusing to import: the file holds ${testEvents} test-mode Stripe events and this installation is live; add --allow-test-data if you really want them here.`,
    );
  }
}

/** The database must hold no organisation data: an import never merges into, or overwrites, a
 * live history. (A database that has only run its migrations is empty.) */
export async function assertEmpty(db: Kysely<any>): Promise<void> {
  if (!(await executedMigrations(db)).length) return;
  const catalog = await readCatalog(db, { withCredentials: true });
  for (const t of catalog.tables) {
    const r = await sql<{ any: boolean }>`select exists (select 1 from ${sql.table(t.name)}) as any`.execute(db);
    if (r.rows[0]?.any) {
      throw new ImportRefused(
        `Refusing to import: the database is not empty (table ${t.name} has rows). Import into a new database: an empty DATA_DIR, or createdb and DATABASE_URL.`,
      );
    }
  }
}

/**
 * `npm run import -- FILE` on an open database. Every refusal comes before the first write.
 * Rows are restored into the schema they were exported from (migrating an empty database up or
 * down to it), in one transaction, verbatim (the database parses each row's JSON, so timestamps
 * keep their microseconds and jsonb its exact numbers), with user triggers off so nothing derived
 * is counted twice; then sequences are set to where they were (never below a restored id, so a
 * receipt number is never handed out again) and the schema migrates forward to this version.
 */
export async function importFile(db: Kysely<any>, file: string, opts: ImportOptions): Promise<ImportSummary> {
  const header = await readHeader(file);
  await verifyFile(file, header, opts);
  await assertEmpty(db);
  await migrateTo(db, header.migrations.at(-1)!);

  const rows: Record<string, number> = {};
  await db.transaction().execute(async (trx) => {
    await sql`set local timezone = 'UTC'`.execute(trx);
    const catalog = await readCatalog(trx, { withCredentials: true });
    const here = new Map(catalog.tables.map((t) => [t.name, t]));
    const plan = new Map<string, { info: TableInfo; columns: string[] }>();
    for (const t of header.tables) {
      const info = here.get(t.name);
      if (!info) {
        if (t.rows) throw new ImportRefused(`Refusing to import: table ${t.name} does not exist in this schema.`);
        continue;
      }
      const missing = t.columns.filter((c) => !info.columns.includes(c));
      if (missing.length) throw new ImportRefused(`Refusing to import: column ${t.name}.${missing[0]} does not exist in this schema.`);
      plan.set(t.name, { info, columns: t.columns.filter((c) => !t.omittedColumns.includes(c)) });
    }
    // Rows a migration itself inserted (defaults) give way to the organisation's own; the
    // database held nothing else (assertEmpty). Children first, for the foreign keys.
    for (const t of [...catalog.tables].reverse()) await sql`delete from ${sql.table(t.name)}`.execute(trx);
    for (const t of catalog.tables) await sql`alter table ${sql.table(t.name)} disable trigger user`.execute(trx);

    let batch: string[] = [];
    let batchBytes = 0;
    let batchTable = '';
    const flush = async () => {
      if (!batch.length) return;
      const { info, columns } = plan.get(batchTable)!;
      const cols = sql.join(columns.map((c) => sql.ref(c)));
      await sql`insert into ${sql.table(info.name)} (${cols}) ${sql.raw(info.identity ? 'overriding system value' : '')}
        select ${cols} from json_populate_recordset(null::${sql.table(info.name)}, ${`[${batch.join(',')}]`}::json)`.execute(trx);
      rows[batchTable] = (rows[batchTable] ?? 0) + batch.length;
      batch = [];
      batchBytes = 0;
    };
    let first = true;
    for await (const line of lines(createReadStream(file, { highWaterMark: 1024 * 1024 }))) {
      if (first) {
        first = false;
        continue;
      }
      const l = parseLine(line.toString('utf8'));
      if (l.kind === 'sequence') {
        await flush();
        await restoreSequence(trx, l);
        continue;
      }
      if (l.table !== batchTable || batch.length >= (opts.batchRows ?? BATCH_ROWS) || batchBytes > BATCH_BYTES) await flush();
      batchTable = l.table;
      batch.push(l.row);
      batchBytes += l.row.length;
    }
    await flush();
    // Files from before a sequence line existed, and any owned sequence: never below its column.
    for (const s of catalog.sequences) {
      if (!s.table || !s.column) continue;
      await sql`select setval(${quoteIdent(s.name)}::regclass, m) from (select max(${sql.ref(s.column)}) as m from ${sql.table(s.table)}) x
        where m is not null and m > (select case when is_called then last_value else last_value - 1 end from ${sql.table(s.name)})`.execute(
        trx,
      );
    }
    for (const t of catalog.tables) await sql`alter table ${sql.table(t.name)} enable trigger user`.execute(trx);
  });
  await migrateToLatest(db);

  const owners = await sql<{ email: string }>`select email from admins where role = 'owner' and disabled_at is null order by id`
    .execute(db)
    .then((r) => r.rows.map((x) => x.email))
    .catch(() => []);
  return { header, rows, owners };
}

async function restoreSequence(trx: Transaction<any>, s: Extract<Line, { kind: 'sequence' }>): Promise<void> {
  const target =
    s.table && s.column
      ? await sql<{ seq: string | null }>`select pg_get_serial_sequence(${quoteIdent(s.table)}, ${s.column}) as seq`.execute(trx)
      : await sql<{ seq: string | null }>`select to_regclass(${quoteIdent(s.name)})::text as seq`.execute(trx);
  const seq = target.rows[0]?.seq;
  if (!seq) return; // a sequence this schema no longer has
  if (s.value < 1) return; // nothing handed out yet: the fresh sequence is already right
  await sql`select setval(${seq}::regclass, ${String(s.value)}::bigint, true)`.execute(trx);
}
