import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, connect } from '../../../db/connect.js';
import { exportToFile } from '../../../server/backup/export.js';
import { importFile } from '../../../server/backup/import.js';
import { receiptNumber } from '../../../server/mail/receipts.js';
import { createRuntime } from '../../../server/runtime.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { type DbKind, createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, loginRequest } from '../admin/helpers.js';
import { makeHistory, tableContents } from './history.js';

const TEST_MODE = { mode: 'test', stripe: 'emulator' } as const;

/** A new, empty database: PGlite never migrated (the import migrates it), PostgreSQL migrated
 * by the test helper (an import must accept a database that has only run its migrations). */
async function emptyDatabase(kind: DbKind): Promise<DatabaseHandle & { url?: string; drop(): Promise<void> }> {
  if (kind === 'postgres') return createTestDatabase('postgres');
  const handle = await connect({ dataDir: '', inMemory: true });
  return { ...handle, drop: () => handle.close() };
}

const dataLines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(1);
const header = (file: string) => JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]!);

describe.each(testDatabaseKinds())('export → import → export from %s', (sourceKind) => {
  let ctx: TestContext;
  let dir: string;
  let file: string;
  let credentialsFile: string;
  let slugs: string[];
  const get = async (app: { request(p: string): Response | Promise<Response> }, p: string) => {
    const res = await app.request(p);
    expect(res.status, p).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    ctx = await createTestContext(sourceKind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    ({ slugs } = await makeHistory(ctx));
    dir = mkdtempSync(path.join(tmpdir(), 'gs-export-'));
    file = path.join(dir, 'export.jsonl');
    credentialsFile = path.join(dir, 'with-credentials.jsonl');
    // Pages of 3 rows: every table with more rows crosses keyset page boundaries (uuid, bigint,
    // text and composite primary keys).
    const opts = { ...TEST_MODE, database: ctx.database.kind, now: ctx.clock(), pageSize: 3 };
    await exportToFile(ctx.db, file, { ...opts, withCredentials: false });
    await exportToFile(ctx.db, credentialsFile, { ...opts, withCredentials: true });
  });
  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a header that counts and checksums what follows', () => {
    const h = header(file);
    expect(h).toMatchObject({ format: 'groundswell-export', formatVersion: 1, mode: 'test', stripe: 'emulator', credentials: false });
    const lines = dataLines(file);
    expect(lines.at(-1)).toBe(''); // the file ends with a newline
    expect(h.lines).toBe(lines.length - 1);
    const byTable = new Map<string, number>();
    for (const l of lines.slice(0, -1)) {
      const { table: t, row } = JSON.parse(l);
      if (row) byTable.set(t, (byTable.get(t) ?? 0) + 1);
    }
    for (const t of h.tables) expect(byTable.get(t.name) ?? 0, t.name).toBe(t.rows);
    // The history reached every table that matters, so the comparisons below mean something.
    for (const t of [
      'campaigns',
      'campaign_totals',
      'gifts',
      'payments',
      'stripe_refunds',
      'stripe_disputes',
      'stripe_events',
      'receipts',
      'mail_outbox',
      'digest_subscribers',
      'organisation',
      'admins',
      'admin_audit_log',
      'campaign_variants',
      'funnel_daily',
    ]) {
      expect(byTable.get(t) ?? 0, t).toBeGreaterThan(0);
    }
    expect(h.skippedTables).toEqual(expect.arrayContaining(['admin_sessions', 'rate_limits']));
    const admins = h.tables.find((t: { name: string }) => t.name === 'admins');
    expect(admins.omittedColumns).toEqual(['password_hash', 'device_key']);
    expect(readFileSync(file, 'utf8')).not.toMatch(/\$argon2/);
    expect(readFileSync(credentialsFile, 'utf8')).toMatch(/\$argon2/);
  });

  it.each(testDatabaseKinds())(
    'restores every table, the public figures and receipt numbering on %s; exporting again gives the same lines',
    async (targetKind) => {
      const target = await emptyDatabase(targetKind);
      const runtime = await createRuntime(ctx.config, { database: target, clock: ctx.clock });
      try {
        const summary = await importFile(target.db, file, { target: TEST_MODE, allowTestData: false, batchRows: 4 });
        expect(summary.owners).toEqual([ADMIN_EMAIL]);

        expect(await tableContents(target.db, { withoutCredentials: true })).toEqual(
          await tableContents(ctx.db, { withoutCredentials: true }),
        );
        for (const slug of slugs) {
          expect(await get(runtime.app, `/api/campaigns/${slug}`)).toEqual(await get(ctx.app, `/api/campaigns/${slug}`));
          expect(await get(runtime.app, `/api/campaigns/${slug}/donors?limit=50`)).toEqual(
            await get(ctx.app, `/api/campaigns/${slug}/donors?limit=50`),
          );
        }
        const spring = await get(runtime.app, '/api/campaigns/spring');
        expect(spring).toMatchObject({ raised: expect.any(Number), donors: expect.any(Number) });
        expect(spring.raised).toBeGreaterThan(0);
        expect((await get(runtime.app, '/api/campaigns/winter')).frequency).toEqual({ impressions: 3, days: 7 });

        // The next receipt number is new: past every number issued, and past the burnt one.
        const maxIssued = (
          await target.db
            .selectFrom('receipts')
            .select((eb) => eb.fn.max('number').as('n'))
            .executeTakeFirstOrThrow()
        ).n;
        expect(await receiptNumber(target.db, 1_000_001, ctx.clock())).toBe(Number(maxIssued) + 2);
        await target.db.deleteFrom('receipts').where('payment_id', '=', 1_000_001).execute();

        // Passwords were not in the file: nobody signs in until an owner gets one.
        const admin = await target.db.selectFrom('admins').selectAll().where('email', '=', ADMIN_EMAIL).executeTakeFirstOrThrow();
        expect(admin).toMatchObject({ role: 'owner', password_hash: null, device_key: null });
        expect((await loginRequest({ ...ctx, app: runtime.app } as TestContext, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(401);

        const again = path.join(dir, `again-${sourceKind}-${targetKind}.jsonl`);
        await exportToFile(target.db, again, { ...TEST_MODE, withCredentials: false, database: target.kind, now: ctx.clock() });
        // The sequence line of receipts moved by one (the number just taken above); all else is identical.
        const strip = (lines: string[]) => lines.filter((l) => !l.startsWith('{"sequence":"receipts_number_seq"'));
        expect(strip(dataLines(again))).toEqual(strip(dataLines(file)));
        expect(header(again).tables).toEqual(header(file).tables);
      } finally {
        await runtime.close();
        await target.drop();
      }
    },
  );

  it('restores byte-identical data lines, sequences included, when nothing happens in between', async () => {
    const target = await emptyDatabase('pglite');
    try {
      await importFile(target.db, file, { target: TEST_MODE, allowTestData: false });
      const again = path.join(dir, `identical-${sourceKind}.jsonl`);
      await exportToFile(target.db, again, { ...TEST_MODE, withCredentials: false, database: target.kind, now: ctx.clock() });
      expect(dataLines(again)).toEqual(dataLines(file));
      expect(header(again).sha256).toBe(header(file).sha256);
    } finally {
      await target.drop();
    }
  });

  it('with --with-credentials the owner signs in on the new host with the same password', async () => {
    const target = await emptyDatabase('pglite');
    const runtime = await createRuntime(ctx.config, { database: target, clock: ctx.clock });
    try {
      await importFile(target.db, credentialsFile, { target: TEST_MODE, allowTestData: false });
      expect(await tableContents(target.db)).toEqual(await tableContents(ctx.db));
      expect((await loginRequest({ ...ctx, app: runtime.app } as TestContext, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);
    } finally {
      await runtime.close();
      await target.drop();
    }
  });
});
