import { type Kysely, sql } from 'kysely';

/**
 * What an export holds, read from the migrated database itself (pg_catalog), never from a list
 * in the code: a table another feature adds tomorrow is exported, imported and compared without
 * anyone touching this folder. The few decisions that are not "everything" are the policy below.
 */

/** Running-server state, not the organisation's data: never exported. Sessions would let a
 * stolen file sign in; rate-limit windows and migration bookkeeping mean nothing elsewhere.
 * Exact names, never patterns: a table nobody listed here is data, and is exported. */
export const NEVER_EXPORTED: ReadonlySet<string> = new Set(['kysely_migration', 'kysely_migration_lock', 'admin_sessions', 'rate_limits']);

/** Tables whose rows are keys in plain text (link-signing keys, app secrets): with a copy anyone
 * could forge a donor's manage or statement link. Rows only with --with-credentials; without
 * them the new installation makes fresh keys on first use and links mailed before stop working. */
export const CREDENTIAL_TABLES: readonly RegExp[] = [/secret/, /signing_key/];

/** Columns that let someone sign in as an admin (password hashes can be cracked offline, device
 * keys forge "known device" cookies): NULL in the file unless --with-credentials. Token *hashes*
 * (invitations, digest links) are not credentials: a hash cannot be turned back into a link. */
export const CREDENTIAL_COLUMNS: readonly RegExp[] = [/password/, /secret/, /^device_key$/];

export interface TableInfo {
  name: string;
  /** Every stored column, in the table's own order (generated columns left out: the database
   * computes them again on import). */
  columns: string[];
  /** Each column's SQL type as the catalog prints it (text, bigint, timestamp with time zone...). */
  types: Record<string, string>;
  primaryKey: string[];
  /** Columns NULL in the file (credentials left out). */
  omittedColumns: string[];
  /** Whether this table's rows are left out (credential table without --with-credentials). */
  rowsOmitted: boolean;
  /** Some column is GENERATED ... AS IDENTITY: inserting ids needs OVERRIDING SYSTEM VALUE. */
  identity: boolean;
}

export interface SequenceInfo {
  name: string;
  /** The column the sequence feeds (serial/identity), when it is owned by one. */
  table: string | null;
  column: string | null;
}

export interface Catalog {
  /** Every exported table, parents before children (foreign keys), then by name. */
  tables: TableInfo[];
  /** Tables left out entirely by NEVER_EXPORTED. */
  skipped: string[];
  sequences: SequenceInfo[];
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function readCatalog(db: Kysely<any>, opts: { withCredentials: boolean }): Promise<Catalog> {
  const tableRows = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition
    order by c.relname`.execute(db);
  const columnRows = await sql<{ table: string; name: string; type: string; generated: string; identity: string }>`
    select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attgenerated as generated, a.attidentity as identity
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`.execute(db);
  const pkRows = await sql<{ table: string; column: string }>`
    select c.relname as table, a.attname as column
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    cross join lateral unnest(k.conkey) with ordinality as u(attnum, ord)
    join pg_attribute a on a.attrelid = c.oid and a.attnum = u.attnum
    where n.nspname = current_schema() and k.contype = 'p'
    order by c.relname, u.ord`.execute(db);
  const fkRows = await sql<{ child: string; parent: string }>`
    select distinct c.relname as child, p.relname as parent
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and k.contype = 'f' and c.oid <> p.oid`.execute(db);
  const seqRows = await sql<{ name: string; table: string | null; column: string | null }>`
    select s.relname as name, t.relname as table, a.attname as column
    from pg_class s join pg_namespace n on n.oid = s.relnamespace
    left join pg_depend d on d.objid = s.oid and d.classid = 'pg_class'::regclass
      and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    left join pg_class t on t.oid = d.refobjid
    left join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
    where n.nspname = current_schema() and s.relkind = 'S'
    order by s.relname`.execute(db);

  const skipped: string[] = [];
  const byName = new Map<string, TableInfo>();
  for (const { name } of tableRows.rows) {
    if (NEVER_EXPORTED.has(name)) {
      skipped.push(name);
      continue;
    }
    byName.set(name, {
      name,
      columns: [],
      types: {},
      primaryKey: [],
      omittedColumns: [],
      rowsOmitted: !opts.withCredentials && CREDENTIAL_TABLES.some((re) => re.test(name)),
      identity: false,
    });
  }
  for (const c of columnRows.rows) {
    const t = byName.get(c.table);
    if (!t || c.generated) continue;
    t.columns.push(c.name);
    t.types[c.name] = c.type;
    if (c.identity) t.identity = true;
    if (!opts.withCredentials && CREDENTIAL_COLUMNS.some((re) => re.test(c.name))) t.omittedColumns.push(c.name);
  }
  for (const k of pkRows.rows) byName.get(k.table)?.primaryKey.push(k.column);

  const sequences = seqRows.rows
    .filter((s) => s.table === null || byName.has(s.table))
    .map((s) => ({ name: s.name, table: s.table, column: s.column }));
  return { tables: dependencyOrder([...byName.values()], fkRows.rows), skipped, sequences };
}

/** Parents before children so that an import inserts in file order under the foreign keys;
 * ties (and any cycle, which no migration makes today) by name, so the order never wobbles. */
export function dependencyOrder(tables: TableInfo[], fks: { child: string; parent: string }[]): TableInfo[] {
  const names = new Set(tables.map((t) => t.name));
  const parents = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set<string>()]));
  for (const { child, parent } of fks) if (names.has(child) && names.has(parent)) parents.get(child)!.add(parent);
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const sorted = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  while (out.length < sorted.length) {
    const next = sorted.find((t) => !done.has(t.name) && [...parents.get(t.name)!].every((p) => done.has(p)));
    const pick = next ?? sorted.find((t) => !done.has(t.name))!;
    done.add(pick.name);
    out.push(pick);
  }
  return out;
}

/** Which migrations the database has run, in order: the schema a file's rows fit. */
export async function executedMigrations(db: Kysely<any>): Promise<string[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('kysely_migration') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return [];
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** Which engine holds the data (the header says where a file came from). */
export async function databaseKind(db: Kysely<any>): Promise<'pglite' | 'postgres'> {
  const r = await sql<{ v: string }>`select version() as v`.execute(db);
  return /wasm|emscripten/i.test(r.rows[0]?.v ?? '') ? 'pglite' : 'postgres';
}
