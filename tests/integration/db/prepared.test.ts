import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PER_CONNECTION } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { withLedger } from '../../../server/ledger/ledger.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { type TestDatabase, createTestDatabase } from '../../helpers/db.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';

/**
 * Plan reuse on PostgreSQL (issue 12, db/prepared.ts): a statement the pool has seen before runs
 * as a named prepared statement on its connection, with the same results; a statement whose
 * result columns changed under it (a column added under `select *`) recovers; the switch
 * DATABASE_PREPARED_STATEMENTS=off turns it all off.
 */

type Db = Kysely<Database>;

/** The prepared statements of the connection `run` uses, as PostgreSQL lists them. */
async function onOneConnection<T>(db: Db, run: (c: Db) => Promise<T>): Promise<{ result: T; prepared: string[] }> {
  return db.connection().execute(async (c) => {
    const result = await run(c);
    const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c);
    return { result, prepared: rows.map((r) => r.statement) };
  });
}

describe.runIf(process.env.TEST_DATABASE_URL)('prepared statements on postgres', () => {
  let on: TestDatabase;
  let off: TestDatabase;
  beforeAll(async () => {
    [on, off] = await Promise.all([
      createTestDatabase('postgres', { preparedStatements: true }),
      createTestDatabase('postgres', { preparedStatements: false }),
    ]);
  });
  afterAll(async () => Promise.all([on?.drop(), off?.drop()]));

  const campaignQuery = (db: Db, slug: string) =>
    db.selectFrom('campaigns').where('slug', '=', slug).select(['id', 'slug', 'goal', 'currency', 'starts_at', 'created_at']);
  const campaignBySlug = (db: Db, slug: string) => campaignQuery(db, slug).execute();

  it('prepares a repeated statement once per connection, with the same rows as unprepared', async () => {
    for (const db of [on.db, off.db]) await makeCampaign(db, { slug: 'prep-same', goal: 123_456_789 });
    const before = { ...on.prepared! };
    const { result, prepared } = await onOneConnection(on.db, async (c) => [
      await campaignBySlug(c, 'prep-same'),
      await campaignBySlug(c, 'prep-same'),
      await campaignBySlug(c, 'prep-same'),
    ]);
    expect(prepared).toContain(campaignQuery(on.db, 'prep-same').compile().sql);
    expect(on.prepared!.prepared - before.prepared).toBe(1);
    expect(on.prepared!.reused - before.reused).toBe(1);
    // The same rows, types included (int8 money as numbers, timestamps as Dates), as unprepared
    // and as on the database that never prepares.
    const plain = await campaignBySlug(off.db, 'prep-same');
    expect(result[0]).toHaveLength(1);
    expect(result[0]![0]!.goal).toBe(123_456_789);
    expect(result[0]![0]!.starts_at).toBeInstanceOf(Date);
    expect(result[2]).toEqual(result[0]);
    expect(result[2]!.map(({ id: _, created_at: __, starts_at: ___, ...r }) => r)).toEqual(
      plain.map(({ id: _, created_at: __, starts_at: ___, ...r }) => r),
    );
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=off', async () => {
    expect(off.prepared).toBeUndefined();
    const { prepared } = await onOneConnection(off.db, async (c) => {
      for (let i = 0; i < 3; i++) await campaignBySlug(c, 'prep-same');
    });
    expect(prepared).toEqual([]);
  });

  it('never prepares DDL or transaction control, and a statement seen once stays unprepared', async () => {
    const { prepared } = await onOneConnection(on.db, async (c) => {
      await sql`create table if not exists prep_ddl (id int primary key)`.execute(c);
      await sql`create table if not exists prep_ddl (id int primary key)`.execute(c);
      await sql`insert into prep_ddl values (${41})`.execute(c);
    });
    expect(prepared.filter((s) => /prep_ddl/.test(s))).toEqual([]);
  });

  it('recovers when a column is added under a prepared select * / returning * (outside a transaction)', async () => {
    await sql`create table prep_shape (id int primary key, name text not null)`.execute(on.db);
    const { result } = await onOneConnection(on.db, async (c) => {
      const read = () =>
        c
          .selectFrom('prep_shape' as never)
          .selectAll()
          .where(sql`id`, '<', sql`${100}`)
          .execute();
      const write = (id: number) =>
        c
          .insertInto('prep_shape' as never)
          .values({ id, name: `n${id}` } as never)
          .returningAll()
          .execute();
      await write(1);
      await write(2);
      await read();
      await read(); // now prepared
      await sql`alter table prep_shape add column extra int not null default 7`.execute(c);
      return { rows: await read(), inserted: await write(3), again: await read() };
    });
    expect(on.prepared!.stale).toBeGreaterThanOrEqual(2);
    expect(result.rows).toEqual([
      { id: 1, name: 'n1', extra: 7 },
      { id: 2, name: 'n2', extra: 7 },
    ]);
    expect(result.inserted).toEqual([{ id: 3, name: 'n3', extra: 7 }]);
    expect(result.again).toHaveLength(3);
  });

  it('recovers inside a ledger transaction: withLedger runs it again, once, on any connection', async () => {
    const c = await makeCampaign(on.db, { slug: 'prep-ledger' });
    const gift = await makeGift(on.db, c, { amount: 2500 });
    const readGift = (db: Db) => db.selectFrom('gifts').selectAll().where('id', '=', gift.id).executeTakeFirstOrThrow();
    // Prepared on several pooled connections at once.
    await Promise.all(Array.from({ length: 4 }, () => withLedger(on.db, {}, (l) => readGift(l.trx))));
    await Promise.all(Array.from({ length: 4 }, () => withLedger(on.db, {}, (l) => readGift(l.trx))));
    await sql`alter table gifts add column prep_note text`.execute(on.db);
    const staleBefore = on.prepared!.stale;
    let attempts = 0;
    const rows = await Promise.all(
      Array.from({ length: 4 }, () =>
        withLedger(on.db, {}, (l) => {
          attempts++;
          return readGift(l.trx);
        }),
      ),
    );
    for (const r of rows) expect(r).toMatchObject({ id: gift.id, amount: 2500, prep_note: null });
    // Each connection that had the old statement fails once at most, and the text gets a new name
    // for all of them: never more than one retry per transaction.
    expect(attempts).toBeLessThanOrEqual(8);
    expect(on.prepared!.stale - staleBefore).toBeLessThanOrEqual(4);
    await sql`alter table gifts drop column prep_note`.execute(on.db);
  });

  it('keeps at most PER_CONNECTION statements on a connection, deallocating the least recently used', async () => {
    const before = on.prepared!.deallocated;
    const { prepared, result } = await onOneConnection(on.db, async (c) => {
      const out: number[] = [];
      for (let k = 0; k < PER_CONNECTION + 20; k++) {
        for (let rep = 0; rep < 2; rep++) {
          const r = await sql<{ n: number }>`select ${k}::int + ${sql.raw(String(k))} as n`.execute(c);
          out.push(r.rows[0]!.n);
        }
      }
      return out;
    });
    expect(result).toEqual(Array.from({ length: PER_CONNECTION + 20 }, (_, k) => [2 * k, 2 * k]).flat());
    expect(prepared.length).toBeLessThanOrEqual(PER_CONNECTION);
    expect(on.prepared!.deallocated - before).toBeGreaterThanOrEqual(20);
  });

  it('a statement that failed to prepare is not taken as prepared (it works once it can)', async () => {
    const { result } = await onOneConnection(on.db, async (c) => {
      const read = () => sql<{ id: number }>`select id from prep_later where id = ${5}`.execute(c);
      const errors: string[] = [];
      for (let i = 0; i < 3; i++) await read().catch((e: Error) => errors.push(e.message));
      await sql`create table prep_later (id int primary key)`.execute(c);
      await sql`insert into prep_later values (5)`.execute(c);
      return { errors, rows: (await read()).rows, again: (await read()).rows };
    });
    expect(result.errors).toHaveLength(3);
    expect(result.errors[2]).toMatch(/prep_later/);
    expect(result.rows).toEqual([{ id: 5 }]);
    expect(result.again).toEqual([{ id: 5 }]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('webhooks with prepared statements on postgres', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('postgres', { clock: fakeClock('2026-12-05T10:05:00Z') });
  });
  afterAll(async () => ctx?.close());

  it('the ledger statements of a webhook are reused, and the totals are exact', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'prep-hooks' });
    const T = Date.parse('2026-12-05T10:00:00Z') / 1000;
    let sum = 0;
    const before = { ...ctx.database.prepared! };
    for (let i = 0; i < 6; i++) {
      const amount = 1000 + 37 * i;
      sum += amount;
      const g = await makeGift(ctx.db, c, { amount, email: `d${i}@example.org` });
      const res = await ctx.deliver(
        event('checkout.session.completed', checkoutSession({ id: g.id, amount, campaignSlug: c.slug }, { paymentIntent: sid('pi') }), T),
      );
      expect(res.status).toBe(200);
    }
    expect(ctx.database.prepared!.reused - before.reused).toBeGreaterThan(10);
    const totals = await ctx.db
      .selectFrom('campaign_totals')
      .where('campaign_id', '=', c.id)
      .select(['raised', 'donations'])
      .executeTakeFirstOrThrow();
    expect(totals).toEqual({ raised: sum, donations: 6 });
  });
});
