import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Kysely, type Transaction, sql } from 'kysely';
import { type TableInfo, executedMigrations, quoteIdent, readCatalog } from './catalog.js';
import { APP_VERSION, type ExportHeader, FORMAT_NAME, FORMAT_VERSION, type Mode } from './format.js';

export interface ExportOptions extends Mode {
  withCredentials: boolean;
  database: 'pglite' | 'postgres';
  now: Date;
  /** Rows per page of the keyset walk (tests make it small to cross page boundaries). */
  pageSize?: number;
}

const PAGE_SIZE = 1000;

/**
 * Writes every line after the header to `out`: all rows of every exported table, then every
 * sequence, from one read-only REPEATABLE READ snapshot, so a gift and the totals it moved are
 * never caught half-way even while webhooks keep arriving. Each table is walked by its primary
 * key in pages (keyset: `where pk > last order by pk limit n`), each page written before the next
 * is read and the writer's backpressure awaited: memory stays flat at any size. Rows are
 * serialised by the database (row_to_json, timestamps in UTC with microseconds, jsonb as stored),
 * so PGlite and PostgreSQL write the same bytes for the same data. Returns the header.
 */
export async function writeBody(db: Kysely<any>, out: Writable, opts: ExportOptions): Promise<ExportHeader> {
  const hash = createHash('sha256');
  let lineCount = 0;
  const write = async (text: string) => {
    if (!text) return;
    hash.update(text);
    if (!out.write(text)) await drained(out);
  };

  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      await sql`set local timezone = 'UTC'`.execute(trx);
      const catalog = await readCatalog(trx, { withCredentials: opts.withCredentials });
      const migrations = await executedMigrations(trx);
      const tables: ExportHeader['tables'] = [];
      for (const table of catalog.tables) {
        let rows = 0;
        if (!table.rowsOmitted) {
          const prefix = `{"table":${JSON.stringify(table.name)},"row":`;
          for await (const page of pages(trx, table, opts.pageSize ?? PAGE_SIZE)) {
            let text = '';
            for (const row of page) text += `${prefix}${row}}\n`;
            rows += page.length;
            await write(text);
          }
        }
        lineCount += rows;
        tables.push({
          name: table.name,
          columns: table.columns,
          primaryKey: table.primaryKey,
          rows,
          omittedColumns: table.omittedColumns,
          rowsOmitted: table.rowsOmitted,
        });
      }
      for (const s of catalog.sequences) {
        const r = await sql<{ last_value: string; is_called: boolean }>`
          select last_value::text as last_value, is_called from ${sql.table(s.name)}`.execute(trx);
        const { last_value, is_called } = r.rows[0]!;
        // The last number handed out (0: none yet), whatever the sequence's is_called state.
        const value = is_called ? BigInt(last_value) : BigInt(last_value) - 1n;
        await write(
          `{"sequence":${JSON.stringify(s.name)},"table":${JSON.stringify(s.table)},"column":${JSON.stringify(s.column)},"value":${value}}\n`,
        );
        lineCount++;
      }
      return {
        format: FORMAT_NAME,
        formatVersion: FORMAT_VERSION,
        app: { name: 'groundswell', version: APP_VERSION },
        createdAt: opts.now.toISOString(),
        mode: opts.mode,
        stripe: opts.stripe,
        database: opts.database,
        migrations,
        credentials: opts.withCredentials,
        tables,
        skippedTables: catalog.skipped,
        sequences: catalog.sequences.length,
        lines: lineCount,
        sha256: hash.digest('hex'),
      } satisfies ExportHeader;
    });
}

/** Resolves when the writer wants more, rejects if it fails meanwhile (a full disk). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = () => {
      out.off('error', bad);
      resolve();
    };
    const bad = (err: Error) => {
      out.off('drain', ok);
      reject(err);
    };
    out.once('drain', ok);
    out.once('error', bad);
  });
}

/** A table's rows as JSON text, page by page, in primary-key order. */
async function* pages(trx: Transaction<any>, table: TableInfo, size: number): AsyncGenerator<string[]> {
  const select = sql.join(
    table.columns.map((c) => (table.omittedColumns.includes(c) ? sql`null::${sql.raw(table.types[c]!)} as ${sql.ref(c)}` : sql.ref(c))),
  );
  if (!table.primaryKey.length) {
    // No primary key (no migration makes one today): a server-side cursor over the rows ordered
    // by their own text, which is total and deterministic for any column type.
    const cursor = sql.raw(quoteIdent(`export_${table.name}`));
    await sql`declare ${cursor} no scroll cursor for
      select row_to_json(x)::text as row from (select ${select} from ${sql.table(table.name)}) x order by 1`.execute(trx);
    for (;;) {
      const r = await sql<{ row: string }>`fetch ${sql.raw(String(size))} from ${cursor}`.execute(trx);
      if (!r.rows.length) break;
      yield r.rows.map((x) => x.row);
    }
    await sql`close ${cursor}`.execute(trx);
    return;
  }
  const keys = table.primaryKey;
  const keyList = sql.join(keys.map((k) => sql.ref(k)));
  const keyOut = sql.join(keys.map((k, i) => sql`x.${sql.ref(k)}::text as ${sql.ref(`__k${i}`)}`));
  let last: string[] | null = null;
  for (;;) {
    const after: ReturnType<typeof sql> =
      last === null ? sql`true` : sql`(${keyList}) > (${sql.join(keys.map((k, i) => sql`${last![i]}::${sql.raw(table.types[k]!)}`))})`;
    const r = await sql<Record<string, string>>`
      select row_to_json(x)::text as __row, ${keyOut}
      from (select ${select} from ${sql.table(table.name)} where ${after} order by ${keyList} limit ${size}) x
      order by ${sql.join(keys.map((k) => sql`x.${sql.ref(k)}`))}`.execute(trx);
    if (!r.rows.length) return;
    yield r.rows.map((x) => x.__row!);
    const tail = r.rows[r.rows.length - 1]!;
    last = keys.map((_, i) => tail[`__k${i}`]!);
    if (r.rows.length < size) return;
  }
}

/** The header line, then the body: the header needs the body's counts and checksum, so the body
 * is written first to a file beside, then copied after the header (streamed, never in memory). */
async function assemble(header: ExportHeader, bodyFile: string, out: Writable): Promise<void> {
  if (!out.write(`${JSON.stringify(header)}\n`)) await drained(out);
  await pipeline(createReadStream(bodyFile), out);
}

/**
 * `npm run export -- --out FILE`: FILE appears complete or not at all (written under a temporary
 * name beside it, then renamed), so a full disk or a crash never leaves a file that looks whole.
 */
export async function exportToFile(db: Kysely<any>, file: string, opts: ExportOptions): Promise<ExportHeader> {
  const dir = path.dirname(path.resolve(file));
  const bodyFile = path.join(dir, `.${path.basename(file)}.body-${process.pid}`);
  const partial = path.join(dir, `.${path.basename(file)}.partial-${process.pid}`);
  try {
    const body = createWriteStream(bodyFile);
    const header = await writeBody(db, body, opts).finally(() => body.end());
    await once(body, 'finish');
    const out = createWriteStream(partial);
    await assemble(header, bodyFile, out);
    const fh = await open(partial, 'r+');
    await fh.sync().finally(() => fh.close());
    await rename(partial, file);
    return header;
  } finally {
    await rm(bodyFile, { force: true });
    await rm(partial, { force: true });
  }
}

/**
 * The admin's download: the body goes to a private temporary directory first (the header comes
 * first on the wire), then the response streams header and body; the temporary file is removed
 * when the stream ends, fails or the client goes away.
 */
export async function exportToStream(
  db: Kysely<any>,
  opts: ExportOptions,
): Promise<{ header: ExportHeader; stream: ReadableStream<Uint8Array> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'groundswell-export-'));
  const bodyFile = path.join(dir, 'body.jsonl');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const body = createWriteStream(bodyFile, { mode: 0o600 });
    const header = await writeBody(db, body, opts).finally(() => body.end());
    await once(body, 'finish');
    // Opened, then removed at once: the open handle still reads the bytes, and nothing is left on
    // disk whether the client reads it all, leaves half-way or never starts.
    const handle = await open(bodyFile, 'r');
    await cleanup();
    const close = () => void handle.close().catch(() => undefined);
    async function* content() {
      try {
        yield Buffer.from(`${JSON.stringify(header)}\n`);
        yield* handle.createReadStream({ autoClose: false });
      } finally {
        close();
      }
    }
    const node = Readable.from(content(), { objectMode: false });
    node.once('close', close);
    return { header, stream: Readable.toWeb(node) as ReadableStream<Uint8Array> };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
