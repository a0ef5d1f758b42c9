import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../../server/admin/cli.js';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { loginRequest } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** `npm run admin`: the same rules as the console (roles, last owner), from a shell. */
describe.each(testDatabaseKinds())('npm run admin on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind);
  });
  afterAll(async () => ctx?.close());

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const password = argv.includes('--password-stdin') ? argv.splice(argv.indexOf('--password-stdin') + 1, 1)[0]! : '';
    const code = await runAdminCli(argv, {
      db: ctx.db,
      publicUrl: ctx.config.publicUrl,
      io: { out: (l) => out.push(l), err: (l) => err.push(l), readPassword: async () => password },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const roleOf = async (email: string) =>
    (await ctx.db.selectFrom('admins').where('email', '=', email).select(['role', 'disabled_at']).executeTakeFirst()) ?? null;

  it('creates the first owner with a password, and others with a role', async () => {
    const first = await run('create', 'First@Example.org', '--password-stdin', 'first owner secret');
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining('Admin first@example.org created (owner).') });
    expect((await loginRequest(ctx, 'first@example.org', 'first owner secret')).status).toBe(200);
    const gen = await run('create', 'ed@example.org', '--role', 'editor');
    expect(gen.code).toBe(0);
    expect(gen.out).toMatch(/Password: \S{20}/);
    expect(await roleOf('ed@example.org')).toEqual({ role: 'editor', disabled_at: null });
    expect(await run('create', 'x@example.org', '--role', 'boss')).toMatchObject({
      code: 1,
      err: expect.stringContaining('Role must be owner, editor or viewer'),
    });
    expect(await run('create', 'ed@example.org')).toMatchObject({ code: 1, err: expect.stringContaining('already exists') });
    expect(await run('create', 'short@example.org', '--password-stdin', 'short')).toMatchObject({
      code: 1,
      err: expect.stringContaining('at least 10'),
    });
    expect(await roleOf('short@example.org')).toBeNull();
  });

  it('invites, changes roles, disables, enables and removes, honouring the last-owner rule', async () => {
    const inv = await run('invite', 'new@example.org', '--role', 'viewer');
    expect(inv.code).toBe(0);
    expect(inv.out).toMatch(/http:\/\/groundswell\.test\/admin\/invite\/[\w-]{43}/);

    // first@ is the only owner: the CLI refuses to leave none, like the console.
    for (const argv of [
      ['role', 'first@example.org', 'editor'],
      ['disable', 'first@example.org'],
      ['remove', 'first@example.org'],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toContain('The last active owner cannot be');
    }
    expect(await roleOf('first@example.org')).toEqual({ role: 'owner', disabled_at: null });

    expect((await run('role', 'ed@example.org', 'owner')).code).toBe(0);
    expect((await run('disable', 'first@example.org')).code).toBe(0);
    expect((await roleOf('first@example.org'))?.disabled_at).not.toBeNull();
    expect((await loginRequest(ctx, 'first@example.org', 'first owner secret')).status).toBe(403);
    expect((await run('enable', 'first@example.org')).code).toBe(0);
    expect((await run('remove', 'new@example.org')).code).toBe(0);
    expect(await roleOf('new@example.org')).toBeNull();
    expect(await run('remove', 'nobody@example.org')).toMatchObject({ code: 1, err: 'No admin with e-mail nobody@example.org.' });

    const list = await run('list');
    expect(list.out.split('\n').map((l) => l.split('\t').slice(0, 3))).toEqual([
      ['first@example.org', 'owner', 'active'],
      ['ed@example.org', 'owner', 'active'],
    ]);
    const actions = await ctx.db.selectFrom('admin_audit_log').where('admin_id', 'is', null).select('action').orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual([
      'admin.create',
      'admin.create',
      'admin.invite',
      'admin.role',
      'admin.disable',
      'admin.enable',
      'admin.remove',
    ]);
  });

  it('reset-password signs the admin out and forgets their devices', async () => {
    const res = await loginRequest(ctx, 'first@example.org', 'first owner secret');
    expect(res.status).toBe(200);
    const r = await run('reset-password', 'first@example.org', '--password-stdin', 'a replaced secret');
    expect(r.code).toBe(0);
    const row = await ctx.db
      .selectFrom('admins')
      .where('email', '=', 'first@example.org')
      .select(['id', 'device_key'])
      .executeTakeFirstOrThrow();
    expect(row.device_key).toBeNull();
    expect(await ctx.db.selectFrom('admin_sessions').where('admin_id', '=', row.id).select('id').execute()).toEqual([]);
  });
});

describe('npm run admin as a command', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gs-admin-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates the first owner from a script and will not remove it', async () => {
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', STRIPE_SECRET_KEY: '', LOG_LEVEL: 'silent' };
    const exec = promisify(execFile);
    const child = exec('npx', ['tsx', 'server/admin/cli.ts', 'create', 'ops@example.org', '--password-stdin'], { cwd: ROOT, env });
    child.child.stdin!.end('a scripted secret\n');
    expect((await child).stdout).toContain('Admin ops@example.org created (owner).');
    await expect(exec('npx', ['tsx', 'server/admin/cli.ts', 'remove', 'ops@example.org'], { cwd: ROOT, env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('The last active owner cannot be removed'),
    });
  }, 120_000);
});
