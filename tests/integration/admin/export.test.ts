import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHeader, verifyFile } from '../../../server/backup/import.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { ADMIN_PASSWORD, donate, signIn } from './helpers.js';

/** GET /api/admin/export: the whole export, for owners who entered their password recently, audited. */
describe.each(testDatabaseKinds())('admin data export on %s', (kind) => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    await makeCampaign(ctx.db, { slug: 'spring' });
    await donate(ctx, 'spring', { amount: 2500, email: 'ada@example.org', name: 'Ada' });
    dir = mkdtempSync(path.join(tmpdir(), 'gs-admin-export-'));
  });
  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is refused to editors and viewers, and to an owner whose password is not recent until it is entered again', async () => {
    const editor = await signIn(ctx, 'editor@example.org', 'editor');
    const viewer = await signIn(ctx, 'viewer@example.org', 'viewer');
    for (const who of [editor, viewer]) {
      const res = await who.req('/export');
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_role');
    }
    const owner = await signIn(ctx, 'owner@example.org', 'owner');
    ctx.clock.advance(11 * 60 * 1000);
    const stale = await owner.req('/export');
    expect(stale.status).toBe(403);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('reauth_required');
    const audits = await ctx.db.selectFrom('admin_audit_log').where('action', '=', 'organisation.export').selectAll().execute();
    expect(audits).toEqual([]);

    expect((await owner.req('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } })).status).toBe(200);
    const res = await owner.req('/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="groundswell-export-2026-12-05T10-11-00Z\.jsonl"$/);
    const file = path.join(dir, `download-${kind}.jsonl`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));

    // The same file the CLI writes: it verifies (checksum, counts), holds the gift, no password hash.
    const header = await readHeader(file);
    await verifyFile(file, header, { target: { mode: 'test', stripe: 'emulator' }, allowTestData: false });
    expect(header).toMatchObject({ mode: 'test', credentials: false, database: kind });
    expect(header.tables.find((t) => t.name === 'gifts')?.rows).toBe(1);
    expect(res.headers.get('x-export-sha256')).toBe(header.sha256);

    const [entry] = await ctx.db.selectFrom('admin_audit_log').where('action', '=', 'organisation.export').selectAll().execute();
    expect(entry).toMatchObject({ admin_email: 'owner@example.org', entity: 'organisation' });
    expect(entry?.after).toMatchObject({ sha256: header.sha256, rows: header.tables.reduce((n, t) => n + t.rows, 0) });
  });
});
