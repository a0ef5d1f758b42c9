import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyOrder } from '../../../server/backup/catalog.js';
import { exportToFile } from '../../../server/backup/export.js';
import { importFile } from '../../../server/backup/import.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { tableContents } from './history.js';

const MODE = { mode: 'test', stripe: 'emulator' } as const;

/** Tables another feature might add tomorrow, made here by hand: the export must carry them
 * without anyone telling it they exist, with every column type kept exactly. */
async function addTablesNobodyListed(db: Kysely<any>) {
  await sql`create table pledges_demo (
      id bigint generated always as identity primary key,
      campaign_id integer not null references campaigns(id),
      amount bigint not null,
      amount_doubled bigint generated always as (amount * 2) stored,
      ratio numeric(12, 6),
      tags text[],
      blob bytea,
      at timestamptz not null,
      day date,
      meta jsonb,
      api_secret text
    )`.execute(db);
  await sql`create table notes_without_key (body text, at timestamptz)`.execute(db);
  await sql`create table app_secrets_demo (name text primary key, value text not null)`.execute(db);
  await sql`create sequence standalone_counter`.execute(db);
  await sql`create function bump() returns trigger language plpgsql as $$
      begin update campaign_totals set raised = raised + new.amount where campaign_id = new.campaign_id; return new; end $$`.execute(db);
  await sql`create trigger pledges_demo_bump after insert on pledges_demo for each row execute function bump()`.execute(db);
}

describe('dependencyOrder', () => {
  const t = (name: string) => ({ name, columns: [], types: {}, primaryKey: [], omittedColumns: [], rowsOmitted: false, identity: false });
  it('puts parents before children, else alphabetical; a cycle (none exists today) comes after the rest, by name', () => {
    const order = (fks: { child: string; parent: string }[]) => dependencyOrder([t('c'), t('b'), t('a'), t('d')], fks).map((x) => x.name);
    expect(order([])).toEqual(['a', 'b', 'c', 'd']);
    expect(
      order([
        { child: 'a', parent: 'c' },
        { child: 'c', parent: 'd' },
      ]),
    ).toEqual(['b', 'd', 'c', 'a']);
    expect(
      order([
        { child: 'a', parent: 'b' },
        { child: 'b', parent: 'a' },
      ]),
    ).toEqual(['c', 'd', 'a', 'b']);
  });
});

describe.each(testDatabaseKinds())('export driven by the schema on %s', (kind) => {
  let source: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    source = await createTestDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'gs-schema-'));
    await addTablesNobodyListed(source.db);
    const c = await makeCampaign(source.db, { slug: 'spring' });
    await sql`insert into pledges_demo (campaign_id, amount, ratio, tags, blob, at, day, meta, api_secret) values
      (${c.id}, 2500, 0.123456, array['a', 'b,"c"'], '\\x00ff10'::bytea, '2026-12-05T10:00:00.123456Z', '2026-12-05', '{"n": 1.50, "big": 12345678901234567890}', 'sekret'),
      (${c.id}, 100, null, null, null, '2026-12-06T00:00:00Z', null, null, null)`.execute(source.db);
    await sql`insert into notes_without_key values ('same', '2026-01-01Z'), ('same', '2026-01-01Z'), ('other', null)`.execute(source.db);
    await sql`insert into app_secrets_demo values ('link_signing', 'k3y')`.execute(source.db);
    await sql`select nextval('standalone_counter') from generate_series(1, 7)`.execute(source.db);
  });
  afterAll(async () => {
    await source?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('carries unlisted tables and types exactly, keeps credentials out unless asked, and fires no trigger twice', async () => {
    const file = path.join(dir, `plain-${kind}.jsonl`);
    await exportToFile(source.db, file, { ...MODE, withCredentials: false, database: kind, now: new Date(), pageSize: 1 });
    const h = JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0] ?? '');
    const table = (name: string) => h.tables.find((x: { name: string }) => x.name === name);
    expect(table('pledges_demo')).toMatchObject({ rows: 2, omittedColumns: ['api_secret'], rowsOmitted: false });
    expect(table('pledges_demo').columns).not.toContain('amount_doubled');
    expect(table('notes_without_key')).toMatchObject({ rows: 3, primaryKey: [] });
    expect(table('app_secrets_demo')).toMatchObject({ rows: 0, rowsOmitted: true });
    const names = h.tables.map((x: { name: string }) => x.name);
    expect(names.indexOf('campaigns')).toBeLessThan(names.indexOf('pledges_demo'));
    expect(readFileSync(file, 'utf8')).not.toMatch(/sekret|k3y/);

    const target = await createTestDatabase(kind);
    try {
      await addTablesNobodyListed(target.db);
      await importFile(target.db, file, { target: MODE, allowTestData: false });
      const before = await tableContents(source.db, { withoutCredentials: true });
      const after = await tableContents(target.db, { withoutCredentials: true });
      expect(after).toEqual(before);
      expect(after.pledges_demo?.[0]).toContain('"meta":{"n": 1.50, "big": 12345678901234567890}');
      // The trigger that adds pledges to the totals ran once at the source; restoring its rows and
      // the totals it moved must not run it again.
      const totals = await sql<{ raised: number }>`select raised from campaign_totals`.execute(target.db);
      expect(totals.rows).toEqual([{ raised: 2600 }]);
      // Identity and standalone sequences continue where they were.
      const next = await sql<{ id: number }>`insert into pledges_demo (campaign_id, amount, at) values (1, 1, now()) returning id`.execute(
        target.db,
      );
      expect(next.rows[0]?.id).toBe(3);
      expect((await sql<{ n: number }>`select nextval('standalone_counter') as n`.execute(target.db)).rows[0]?.n).toBe(8);
      const secrets = await sql`select * from app_secrets_demo`.execute(target.db);
      expect(secrets.rows).toEqual([]);
    } finally {
      await target.drop();
    }

    const withCredentials = path.join(dir, `credentials-${kind}.jsonl`);
    await exportToFile(source.db, withCredentials, { ...MODE, withCredentials: true, database: kind, now: new Date() });
    const again = await createTestDatabase(kind);
    try {
      await addTablesNobodyListed(again.db);
      await importFile(again.db, withCredentials, { target: MODE, allowTestData: false });
      expect(await tableContents(again.db)).toEqual(await tableContents(source.db));
      expect((await sql`select value from app_secrets_demo`.execute(again.db)).rows).toEqual([{ value: 'k3y' }]);
    } finally {
      await again.drop();
    }
  });
});
