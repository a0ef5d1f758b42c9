/**
 * `npm run admin -- <command>`: admin accounts from a shell on the server, for the first owner
 * and for production where no one reads the start-up log.
 *
 *   create EMAIL [--role R]   new admin (owner unless --role); asks for a password (TTY) or
 *                             generates one, printed once
 *   invite EMAIL [--role R]   new admin who sets their own password: prints the link once
 *   reset-password EMAIL      new password for an existing admin; signs out its sessions
 *   role EMAIL ROLE           owner | editor | viewer
 *   disable EMAIL / enable EMAIL / remove EMAIL
 *   list                      every admin with role and status
 *
 * The last active owner cannot be demoted, disabled or removed, here as in the console.
 * `--password-stdin` reads the password from standard input (for scripts).
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { DatabaseInUseError, connect } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import type { AdminRole, Database } from '../../db/schema.js';
import { ConfigError, loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { changeRole, disableAdmin, enableAdmin, inviteAdmin, listAdmins, removeAdmin } from './admins.js';
import { audit } from './audit.js';
import { endAllSessions } from './auth.js';
import { hashPassword } from './passwords.js';
import { adminEmailSchema, passwordSchema, roleSchema } from './schemas.js';

export const USAGE = `usage: npm run admin -- <command>
  create EMAIL [--role owner|editor|viewer] [--password-stdin]
  invite EMAIL [--role owner|editor|viewer]
  reset-password EMAIL [--password-stdin]
  role EMAIL owner|editor|viewer
  disable EMAIL | enable EMAIL | remove EMAIL
  list`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The password typed (twice, hidden) or piped in; '' lets the CLI generate one. */
  readPassword(fromStdin: boolean): Promise<string>;
}

class CliError extends Error {}

/** Runs one command against `db`; returns the process exit code. */
export async function runAdminCli(
  argv: string[],
  ctx: { db: Kysely<Database>; publicUrl: string; io: CliIo; now?: () => Date },
): Promise<number> {
  const { db, io } = ctx;
  const now = ctx.now ?? (() => new Date());
  const args = argv.filter((a) => a !== '--');
  const fromStdin = args.includes('--password-stdin');
  const roleAt = args.indexOf('--role');
  const roleFlag = roleAt >= 0 ? args[roleAt + 1] : undefined;
  const [command, emailArg, extra] = args.filter((a, i) => !a.startsWith('--') && !(roleAt >= 0 && i === roleAt + 1));
  try {
    if (command === 'list') {
      const rows = await listAdmins(db);
      for (const r of rows) io.out(`${r.email}\t${r.role}\t${r.status}\t(since ${r.createdAt.slice(0, 10)})`);
      if (!rows.length) io.out('No admins yet.');
      return 0;
    }
    if (!command || !emailArg || !['create', 'invite', 'reset-password', 'role', 'disable', 'enable', 'remove'].includes(command))
      throw new CliError(USAGE);
    const parsed = adminEmailSchema.safeParse(emailArg);
    if (!parsed.success) throw new CliError(`E-mail ${parsed.error.issues[0]!.message}`);
    const email = parsed.data;
    const role = parseRole(command === 'role' ? extra : (roleFlag ?? (roleAt >= 0 ? '' : 'owner')));
    const existing = await db.selectFrom('admins').where('email', '=', email).select('id').executeTakeFirst();
    if ((command === 'create' || command === 'invite') && existing)
      throw new CliError(`An admin with e-mail ${email} already exists (use reset-password).`);
    if (command !== 'create' && command !== 'invite' && !existing) throw new CliError(`No admin with e-mail ${email}.`);

    switch (command) {
      case 'invite': {
        const { token, expiresAt } = await inviteAdmin(db, { email, role }, null, now());
        io.out(`Admin ${email} invited as ${role}. Send them this link (shown once, valid until ${expiresAt.toISOString()}):`);
        io.out(`${ctx.publicUrl}/admin/invite/${token}`);
        return 0;
      }
      case 'role':
        await changeRole(db, existing!.id, role, null, now());
        io.out(`${email} is now ${role === 'owner' ? 'an' : 'a'} ${role}.`);
        return 0;
      case 'disable':
        await disableAdmin(db, existing!.id, null, now());
        io.out(`${email} is disabled and signed out everywhere.`);
        return 0;
      case 'enable':
        await enableAdmin(db, existing!.id, null, now());
        io.out(`${email} can sign in again.`);
        return 0;
      case 'remove':
        await removeAdmin(db, existing!.id, null, now());
        io.out(`${email} is removed.`);
        return 0;
    }

    const { password, generated } = await choosePassword(io, fromStdin);
    const password_hash = await hashPassword(password);
    if (command === 'create') {
      const row = await db
        .insertInto('admins')
        .values({ email, password_hash, role, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit(db, {
        adminId: null,
        action: 'admin.create',
        entity: 'admin',
        entityId: row.id,
        after: { email, role, via: 'cli' },
        at: now(),
      });
      io.out(`Admin ${email} created (${role}).`);
    } else {
      // A new password also forgets the devices that skipped the sign-in limits.
      await db.updateTable('admins').set({ password_hash, device_key: null }).where('id', '=', existing!.id).execute();
      await endAllSessions(db, existing!.id);
      await audit(db, {
        adminId: null,
        action: 'admin.password',
        entity: 'admin',
        entityId: existing!.id,
        after: { via: 'cli' },
        at: now(),
      });
      io.out(`Password of ${email} changed; its sessions are signed out.`);
    }
    if (generated) io.out(`Password: ${password}\n(shown once: store it now)`);
    io.out(`Sign in at ${ctx.publicUrl}/admin`);
    return 0;
  } catch (err) {
    if (err instanceof CliError || (err instanceof AppError && err.status < 500)) {
      io.err(`${err.message}${err instanceof AppError ? ' Nothing changed.' : ''}`);
      return 1;
    }
    throw err;
  }
}

function parseRole(value: string | undefined): AdminRole {
  const r = roleSchema.safeParse(value);
  if (!r.success) throw new CliError(`Role must be owner, editor or viewer.\n${USAGE}`);
  return r.data;
}

async function choosePassword(io: CliIo, fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  const password = await io.readPassword(fromStdin);
  if (!password) return { password: randomBytes(15).toString('base64url'), generated: true };
  const ok = passwordSchema.safeParse(password);
  if (!ok.success) throw new CliError(`Password ${ok.error.issues[0]!.message}; nothing changed.`);
  return { password, generated: false };
}

async function readStdin(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

/** Reads a line without echoing it, so the password never lands in the terminal's scrollback. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput?: (s: string) => void };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    // The prompt is already written; from here on typed characters are not echoed.
    out._writeToOutput = () => {};
  });
}

const terminalIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  async readPassword(fromStdin) {
    if (fromStdin) return readStdin();
    if (!process.stdin.isTTY) return '';
    const password = await askHidden('Password (at least 10 characters; leave empty to generate one): ');
    if (password && (await askHidden('Repeat the password: ')) !== password)
      throw new CliError('The passwords do not match; nothing changed.');
    return password;
  },
};

// `npm run admin`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fail = (message: string): never => {
    console.error(message);
    process.exit(1);
  };
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const handle = await connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    preparedStatements: config.databasePreparedStatements,
  }).catch((err: Error) =>
    err instanceof DatabaseInUseError
      ? fail(`${err.message}\n(npm run admin needs the server stopped when it runs on the embedded database.)`)
      : Promise.reject(err),
  );
  let code = 1;
  try {
    await migrateToLatest(handle.db);
    code = await runAdminCli(process.argv.slice(2), { db: handle.db, publicUrl: config.publicUrl, io: terminalIo });
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    console.error(err.message);
  } finally {
    await handle.close();
  }
  process.exitCode = code;
}
