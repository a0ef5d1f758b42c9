/**
 * `npm run admin -- <command>`: admin accounts from a shell on the server, for production where
 * no one reads the start-up log.
 *
 *   create EMAIL            new admin; asks for a password (TTY) or generates one, printed once
 *   reset-password EMAIL    new password for an existing admin; signs out its sessions
 *   list                    e-mails of all admins
 *
 * `--password-stdin` reads the password from standard input (for scripts).
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DatabaseInUseError, connect } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { ConfigError, loadConfig } from '../config.js';
import { audit } from './audit.js';
import { hashPassword } from './passwords.js';
import { newAdminSchema, passwordSchema } from './schemas.js';

const USAGE = 'usage: npm run admin -- create EMAIL | reset-password EMAIL | list   [--password-stdin]';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
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

async function choosePassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  let password = '';
  if (fromStdin) password = await readStdin();
  else if (process.stdin.isTTY) {
    password = await askHidden('Password (at least 10 characters; leave empty to generate one): ');
    if (password) {
      const again = await askHidden('Repeat the password: ');
      if (again !== password) fail('The passwords do not match; nothing changed.');
    }
  }
  if (!password) return { password: randomBytes(15).toString('base64url'), generated: true };
  const ok = passwordSchema.safeParse(password);
  if (!ok.success) fail(`Password ${ok.error.issues[0]!.message}; nothing changed.`);
  return { password, generated: false };
}

const args = process.argv.slice(2).filter((a) => a !== '--');
const fromStdin = args.includes('--password-stdin');
const [command, emailArg] = args.filter((a) => !a.startsWith('--'));
if (!command || !['create', 'reset-password', 'list'].includes(command)) fail(USAGE);
if (command !== 'list' && !emailArg) fail(USAGE);

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch((err: Error) =>
  err instanceof DatabaseInUseError ? fail(`${err.message}\n(npm run admin needs the server stopped when it runs on the embedded database.)`) : Promise.reject(err),
);
try {
  await migrateToLatest(handle.db);
  const db = handle.db;
  if (command === 'list') {
    const rows = await db.selectFrom('admins').select(['email', 'created_at']).orderBy('id').execute();
    for (const r of rows) console.log(`${r.email}\t(since ${r.created_at.toISOString().slice(0, 10)})`);
    if (!rows.length) console.log('No admins yet.');
  } else {
    const parsed = newAdminSchema.shape.email.safeParse(emailArg);
    if (!parsed.success) fail(`E-mail ${parsed.error.issues[0]!.message}`);
    const email = parsed.data;
    const existing = await db.selectFrom('admins').where('email', '=', email).select('id').executeTakeFirst();
    if (command === 'create' && existing) fail(`An admin with e-mail ${email} already exists (use reset-password).`);
    if (command === 'reset-password' && !existing) fail(`No admin with e-mail ${email}.`);
    const { password, generated } = await choosePassword(fromStdin);
    const password_hash = await hashPassword(password);
    if (command === 'create') {
      const row = await db.insertInto('admins').values({ email, password_hash }).returning('id').executeTakeFirstOrThrow();
      await audit(db, { adminId: null, action: 'admin.create', entity: 'admin', entityId: row.id, after: { email, via: 'cli' }, at: new Date() });
      console.log(`Admin ${email} created.`);
    } else {
      await db.updateTable('admins').set({ password_hash }).where('id', '=', existing!.id).execute();
      await db.deleteFrom('admin_sessions').where('admin_id', '=', existing!.id).execute();
      await audit(db, { adminId: null, action: 'admin.password', entity: 'admin', entityId: existing!.id, after: { via: 'cli' }, at: new Date() });
      console.log(`Password of ${email} changed; its sessions are signed out.`);
    }
    if (generated) console.log(`Password: ${password}\n(shown once: store it now)`);
    console.log(`Sign in at ${config.publicUrl}/admin`);
  }
} finally {
  await handle.close();
}
