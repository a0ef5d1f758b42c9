import { randomBytes } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppDeps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../../lib/client-ip.js';
import { createLimiter, type Limiter } from '../../lib/rate-limit.js';
import { validationHook } from '../../lib/validation.js';
import { audit } from '../audit.js';
import { type AdminEnv, clearSessionCookie, endSession, loadSession, sessionCookieName, setSessionCookie, startSession } from '../auth.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { changePasswordSchema, loginSchema } from '../schemas.js';

/** Sign-in limits, shared by the public login route and the signed-in password change. */
export function sessionLimiters(deps: AppDeps) {
  const { db } = deps;
  return {
    // Guessing passwords: a few tries per account, more per address (an office shares one).
    perIp: createLimiter(db, { keyPrefix: 'admin-login-ip', points: 20, durationSeconds: 15 * 60 }),
    // Guessing one account is stopped per (account, address): 5 tries. Keyed on the account alone,
    // anyone who knows an admin's e-mail could keep that admin locked out; the account-wide limit
    // is therefore much higher, and only slows guessing spread over many addresses.
    perAccount: createLimiter(db, { keyPrefix: 'admin-login-account', points: 5, durationSeconds: 15 * 60 }),
    perAccountAnywhere: createLimiter(db, { keyPrefix: 'admin-login-account-all', points: 100, durationSeconds: 15 * 60 }),
  };
}
type SessionLimiters = ReturnType<typeof sessionLimiters>;

/** POST /login: the one admin route that needs no session. */
export function loginRoutes(deps: AppDeps, limits: SessionLimiters) {
  const { db, config, clock } = deps;
  const { perIp, perAccount, perAccountAnywhere } = limits;
  // Unknown e-mails are checked against a real hash too, so timing does not reveal which
  // addresses are admins.
  let dummyHash: Promise<string> | undefined;

  return new Hono<AdminEnv>().post('/login', zValidator('json', loginSchema, validationHook), async (c) => {
    const { email, password } = c.req.valid('json');
    const ip = clientIp(c, config.trustProxy);
    await limited(perIp, ip, 'Too many sign-in attempts from this connection');
    await limited(perAccount, `${email}|${ip}`, 'Too many sign-in attempts for this account');
    await limited(perAccountAnywhere, email, 'Too many sign-in attempts for this account');
    const admin = await db.selectFrom('admins').where('email', '=', email).select(['id', 'email', 'password_hash']).executeTakeFirst();
    const ok = admin
      ? await verifyPassword(admin.password_hash, password)
      : (await verifyPassword(await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))), password), false);
    if (!admin || !ok) throw new AppError('invalid_credentials', 401, 'E-mail or password is incorrect');
    await perAccount.reset(`${email}|${ip}`);
    // Only failures count against the address: an office of admins behind one IP signing in
    // all day is not an attack.
    await perIp.refund(ip);
    // A session id from before sign-in is never reused (session fixation).
    const old = await loadSession(db, getCookie(c, sessionCookieName(config)), clock());
    if (old) await endSession(db, old.id);
    const session = await startSession(db, admin.id, clock());
    setSessionCookie(c, config, session.token);
    return c.json({ admin: { email: admin.email }, csrfToken: session.csrfToken });
  });
}

/** The signed-in admin's own session and password. */
export function sessionRoutes(deps: AppDeps, limits: SessionLimiters) {
  const { db, config, clock } = deps;
  const { perAccount } = limits;
  return new Hono<AdminEnv>()
    .post('/logout', async (c) => {
      await endSession(db, c.get('session').id);
      clearSessionCookie(c, config);
      return c.json({ ok: true });
    })
    .get('/me', (c) => {
      const s = c.get('session');
      return c.json({ admin: { email: s.email }, csrfToken: s.csrfToken });
    })
    .post('/password', zValidator('json', changePasswordSchema, validationHook), async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const s = c.get('session');
      await limited(perAccount, s.email, 'Too many wrong passwords for this account');
      const admin = await db.selectFrom('admins').where('id', '=', s.adminId).select('password_hash').executeTakeFirstOrThrow();
      if (!(await verifyPassword(admin.password_hash, currentPassword))) {
        throw new AppError('invalid_credentials', 400, 'The current password is incorrect', 'currentPassword');
      }
      await perAccount.reset(s.email);
      await db.updateTable('admins').set({ password_hash: await hashPassword(newPassword) }).where('id', '=', s.adminId).execute();
      // Anyone who learnt the old password is signed out everywhere but here.
      await db.deleteFrom('admin_sessions').where('admin_id', '=', s.adminId).where('id', '<>', s.id).execute();
      await audit(db, { adminId: s.adminId, action: 'admin.password', entity: 'admin', entityId: s.adminId, at: clock() });
      return c.json({ ok: true });
    });
}

/** The limiter's 429, with the wait spelt out for a person at the sign-in form. */
export async function limited(limiter: Limiter, key: string, what: string): Promise<void> {
  try {
    await limiter.consume([key], what);
  } catch (err) {
    if (err instanceof AppError && err.status === 429) {
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
      throw new AppError('rate_limited', 429, `${what}; please wait ${wait} and try again.`, undefined, err.headers);
    }
    throw err;
  }
}
