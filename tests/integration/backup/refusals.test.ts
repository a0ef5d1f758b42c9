import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, connect } from '../../../db/connect.js';
import { executedMigrations } from '../../../server/backup/catalog.js';
import { exportToFile } from '../../../server/backup/export.js';
import { ImportRefused, importFile } from '../../../server/backup/import.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { donate } from '../admin/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TEST_MODE = { mode: 'test', stripe: 'emulator' } as const;
const LIVE_MODE = { mode: 'live', stripe: 'live' } as const;

/** What an import must refuse, each with one clear line and nothing written. */
describe('import refuses', () => {
  let ctx: TestContext;
  let dir: string;
  let file: string;
  let text: string;
  const fresh: DatabaseHandle[] = [];
  const emptyPglite = async () => {
    const h = await connect({ dataDir: '', inMemory: true });
    fresh.push(h);
    return h;
  };
  const variant = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  /** The import is refused with `message`, and the target database was not touched at all (one
   * empty database serves every case: each refusal must leave it empty for the next). */
  let untouched: DatabaseHandle | undefined;
  async function refused(p: string, message: RegExp, opts: { target?: typeof TEST_MODE | typeof LIVE_MODE; allowTestData?: boolean } = {}) {
    untouched ??= await emptyPglite();
    const target = untouched;
    const err = await importFile(target.db, p, { target: opts.target ?? TEST_MODE, allowTestData: opts.allowTestData ?? false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImportRefused);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    expect(await executedMigrations(target.db)).toEqual([]);
  }

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { clock: fakeClock('2026-12-05T10:00:00Z') });
    await makeCampaign(ctx.db, { slug: 'spring' });
    await donate(ctx, 'spring', { amount: 2500, email: 'ada@example.org' });
    await donate(ctx, 'spring', { amount: 4000, email: 'bo@example.org' });
    dir = mkdtempSync(path.join(tmpdir(), 'gs-refuse-'));
    file = path.join(dir, 'export.jsonl');
    await exportToFile(ctx.db, file, { ...TEST_MODE, withCredentials: false, database: 'pglite', now: ctx.clock() });
    text = readFileSync(file, 'utf8');
  });
  afterAll(async () => {
    for (const h of fresh) await h.close();
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a file cut in the middle of a line', async () => {
    await refused(variant('cut.jsonl', text.slice(0, Math.floor(text.length * 0.6))), /truncated \(it ends in the middle of a line\)/);
  });

  it('a file cut at a line boundary', async () => {
    const lines = text.split('\n');
    await refused(variant('short.jsonl', `${lines.slice(0, -3).join('\n')}\n`), /truncated \(\d+ of \d+ lines after the header\)/);
  });

  it('a file with one amount changed', async () => {
    const changed = text.replace('"amount":2500', '"amount":2600');
    expect(changed).not.toBe(text);
    await refused(variant('changed.jsonl', changed), /checksum mismatch/);
  });

  it('a file with a line added', async () => {
    const line = text.split('\n').find((l) => l.startsWith('{"table":"gifts"'))!;
    await refused(variant('added.jsonl', `${text}${line}\n`), /checksum mismatch/);
  });

  it('a newer format, naming what to do', async () => {
    const [head, ...rest] = text.split('\n');
    const h = JSON.parse(head!);
    await refused(
      variant('v2.jsonl', [JSON.stringify({ ...h, formatVersion: 2 }), ...rest].join('\n')),
      /export format 2.*Upgrade Groundswell here first/,
    );
  });

  it('a newer schema (a migration this version does not know)', async () => {
    const [head, ...rest] = text.split('\n');
    const h = JSON.parse(head!);
    const newer = { ...h, migrations: [...h.migrations, '9999_future'] };
    await refused(variant('schema.jsonl', [JSON.stringify(newer), ...rest].join('\n')), /newer Groundswell .*schema 9999_future/);
  });

  it('something that is not an export', async () => {
    await refused(variant('csv.jsonl', 'Gift ID,Amount\n1,2500\n'), /does not start with a Groundswell export header/);
    await refused(variant('empty.jsonl', ''), /has no header line/);
    await refused(variant('other.jsonl', '{"format":"something-else"}\n'), /is not a Groundswell export/);
  });

  it('test-mode data into a live installation unless --allow-test-data', async () => {
    await refused(file, /test-mode data \(payments on the built-in emulator\).*--allow-test-data/, { target: LIVE_MODE });
    // A header that says live but events that say test: the events decide.
    const liveHeader = path.join(dir, 'live-header.jsonl');
    await exportToFile(ctx.db, liveHeader, { ...LIVE_MODE, withCredentials: false, database: 'pglite', now: ctx.clock() });
    await refused(liveHeader, /holds \d+ test-mode Stripe events and this installation is live/, { target: LIVE_MODE });

    const target = await emptyPglite();
    await importFile(target.db, file, { target: LIVE_MODE, allowTestData: true });
    expect(await target.db.selectFrom('gifts').select('id').execute()).toHaveLength(2);
  });

  it.each(testDatabaseKinds())('a database that is not empty (%s), leaving it as it was', async (kind) => {
    const target = await createTestDatabase(kind);
    try {
      await makeCampaign(target.db, { slug: 'already-here' });
      const err = await importFile(target.db, file, { target: TEST_MODE, allowTestData: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportRefused);
      expect((err as Error).message).toMatch(/database is not empty \(table campaigns has rows\)/);
      expect((await target.db.selectFrom('campaigns').select('slug').execute()).map((c) => c.slug)).toEqual(['already-here']);
      expect(await target.db.selectFrom('gifts').select('id').execute()).toEqual([]);
    } finally {
      await target.drop();
    }
  });

  // Five processes that each start tsx and open the embedded database: a longer ceiling than the default.
  it('from a shell: npm run export and npm run import on the embedded database, with exit codes and one line each', {
    timeout: 15 * 60_000,
  }, async () => {
    const run = promisify(execFile);
    const cli = (args: string[], env: Record<string, string>) =>
      run(path.join(ROOT, 'node_modules/.bin/tsx'), ['server/backup/cli.ts', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const a = path.join(dir, 'host-a');
    const imported = await cli(['import', file], { DATA_DIR: a });
    expect(imported.stderr).toBe('');
    expect(imported).toMatchObject({ code: 0 });
    expect(imported.stdout).toMatch(/^Imported \d+ rows of \d+ tables from .*export\.jsonl/);
    expect(imported.stdout).toMatch(/spring: raised 6500 \(USD minor units\), 2 donations, 2 donors/);
    expect(imported.stdout).toContain('npm run admin -- reset-password');

    const again = path.join(dir, 'again.jsonl');
    const exported = await cli(['export', '--out', again], { DATA_DIR: a });
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toMatch(/^Exported \d+ rows of \d+ tables \(test mode\) to .*again\.jsonl\nsha256 [0-9a-f]{64}\n/);
    expect(readFileSync(again, 'utf8').split('\n').slice(1)).toEqual(text.split('\n').slice(1));

    const twice = await cli(['import', again], { DATA_DIR: a });
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Refusing to import: the database is not empty/)]);

    const live = await cli(['import', again], {
      DATA_DIR: path.join(dir, 'host-b'),
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
    });
    expect(live.code).toBe(1);
    expect(live.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Refusing to import: the file holds test-mode data/)]);

    const usage = await cli(['export'], { DATA_DIR: a });
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('usage: npm run export -- --out FILE');
  });
});
