import { randomBytes } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppDeps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../../lib/client-ip.js';
import { validationHook } from '../../lib/validation.js';
import { audit } from '../audit.js';
import {
  type AdminEnv,
  type AdminSession,
  RECENT_AUTH_MS,
  clearSessionCookie,
  endSession,
  loadSession,
  markAuthenticated,
  sessionCookieName,
  setSessionCookie,
  startSession,
} from '../auth.js';
import { forgetDevices, knownDevice, rememberDevice } from '../devices.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { changePasswordSchema, loginSchema, reauthSchema } from '../schemas.js';
import type { SignInLimits } from '../sign-in-limits.js';

/** Signs `admin` in on this browser: a fresh session (never the one from before, against
 * session fixation) and a known-device cookie. Shared by login and invitation acceptance. */
export async function signInBrowser(c: Context, deps: AppDeps, admin: { id: number; device_key: string | null }, device: string | null) {
  const { db, config, clock } = deps;
  const old = await loadSession(db, getCookie(c, sessionCookieName(config)), clock());
  if (old) await endSession(db, old.id);
  const session = await startSession(db, admin.id, clock());
  setSessionCookie(c, config, session.token);
  await rememberDevice(c, db, config, admin, device);
  return session;
}

/** POST /login: the one admin route that needs no session. */
export function loginRoutes(deps: AppDeps, limits: SignInLimits) {
  const { db, config } = deps;
  // Unknown e-mails and invited admins without a password are checked against a real hash
  // too, so timing does not reveal which addresses are admins.
  let dummyHash: Promise<string> | undefined;

  return new Hono<AdminEnv>().post('/login', zValidator('json', loginSchema, validationHook), async (c) => {
    const { email, password } = c.req.valid('json');
    const admin = await db
      .selectFrom('admins')
      .where('email', '=', email)
      .select(['id', 'email', 'role', 'password_hash', 'disabled_at', 'device_key'])
      .executeTakeFirst();
    const device = admin ? knownDevice(c, config, admin) : null;
    const succeeded = await limits.attempt({ ip: clientIp(c, config.trustProxy), email, adminId: admin?.id ?? null, device });
    const hash = admin?.password_hash ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
    const ok = (await verifyPassword(hash, password)) && !!admin?.password_hash;
    if (!admin || !ok) throw new AppError('invalid_credentials', 401, 'E-mail or password is incorrect');
    await succeeded();
    // Said only to whoever knows the password: it reveals nothing to a guesser.
    if (admin.disabled_at) throw new AppError('account_disabled', 403, 'This admin account is disabled; an owner can enable it again.');
    const session = await signInBrowser(c, deps, admin, device);
    return c.json({ admin: { id: admin.id, email: admin.email, role: admin.role }, csrfToken: session.csrfToken });
  });
}

const me = (s: AdminSession) => ({
  admin: { id: s.adminId, email: s.email, role: s.role },
  csrfToken: s.csrfToken,
  // Whether, and until when, sensitive actions work without entering the password again.
  recentAuth: s.recentAuth,
  recentAuthUntil: new Date(s.authenticatedAt.getTime() + RECENT_AUTH_MS).toISOString(),
});

/** The signed-in admin's own session and password (every role). */
export function sessionRoutes(deps: AppDeps, limits: SignInLimits) {
  const { db, config, clock } = deps;

  /** The password of the signed-in admin, entered again; a wrong one is audited. */
  const checkOwnPassword = async (s: AdminSession, password: string, field: string, action: string) => {
    const succeeded = await limits.passwordCheck(s.id);
    const admin = await db.selectFrom('admins').where('id', '=', s.adminId).select('password_hash').executeTakeFirstOrThrow();
    if (!admin.password_hash || !(await verifyPassword(admin.password_hash, password))) {
      await audit(db, { adminId: s.adminId, action, entity: 'admin', entityId: s.adminId, at: clock() });
      // 400, not 401: the session is fine, the console must not sign out.
      throw new AppError('invalid_credentials', 400, 'The password is incorrect', field);
    }
    await succeeded();
  };

  return new Hono<AdminEnv>()
    .post('/logout', async (c) => {
      await endSession(db, c.get('session').id);
      clearSessionCookie(c, config);
      return c.json({ ok: true });
    })
    .get('/me', (c) => c.json(me(c.get('session'))))
    .post('/session/reauth', zValidator('json', reauthSchema, validationHook), async (c) => {
      const s = c.get('session');
      await checkOwnPassword(s, c.req.valid('json').password, 'password', 'admin.reauth_failed');
      const now = clock();
      await markAuthenticated(db, s.id, now);
      return c.json(me({ ...s, authenticatedAt: now, recentAuth: true }));
    })
    .post('/password', zValidator('json', changePasswordSchema, validationHook), async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const s = c.get('session');
      await checkOwnPassword(s, currentPassword, 'currentPassword', 'admin.password_failed');
      await db
        .updateTable('admins')
        .set({ password_hash: await hashPassword(newPassword) })
        .where('id', '=', s.adminId)
        .execute();
      // Anyone who learnt the old password is signed out everywhere but here, and the devices
      // that skipped the sign-in limits are forgotten; this browser is remembered again.
      await db.deleteFrom('admin_sessions').where('admin_id', '=', s.adminId).where('id', '<>', s.id).execute();
      await forgetDevices(db, s.adminId);
      await rememberDevice(c, db, config, { id: s.adminId, device_key: null }, null);
      await markAuthenticated(db, s.id, clock());
      await audit(db, { adminId: s.adminId, action: 'admin.password', entity: 'admin', entityId: s.adminId, at: clock() });
      return c.json({ ok: true });
    });
}
