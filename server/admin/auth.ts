import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely, Transaction } from 'kysely';
import type { AdminRole, Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

export type { AdminRole };

export interface AdminSession {
  id: string;
  adminId: number;
  email: string;
  role: AdminRole;
  csrfToken: string;
  expiresAt: Date;
  /** When the password was last entered in this session (sign-in or re-authentication). */
  authenticatedAt: Date;
  /** authenticatedAt is recent enough for sensitive actions, as of this request's clock. */
  recentAuth: boolean;
}

export type AdminEnv = { Variables: { session: AdminSession } };

/** An idle console signs out after this; an active one is extended up to SESSION_MAX_MS. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often, not on every request. */
const SESSION_TOUCH_MS = 10 * 60 * 1000;
/** Sensitive actions (admins, donor-data exports, organisation settings) want the password
 * entered at most this long ago (SPEC §11). */
export const RECENT_AUTH_MS = 10 * 60 * 1000;

const isHttps = (config: Config) => config.publicUrl.startsWith('https:');

/** `__Host-` makes the browser refuse the cookie unless Secure, Path=/ and host-only, so a
 * sibling subdomain cannot plant or shadow it; it can only be used over https. */
export const sessionCookieName = (config: Config) => (isHttps(config) ? '__Host-gs_admin' : 'gs_admin');

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = () => randomBytes(32).toString('base64url');

/** The database keeps only a hash of the cookie token: a leaked backup holds no live session. */
export async function startSession(db: Kysely<Database>, adminId: number, now: Date): Promise<{ token: string; csrfToken: string }> {
  const t = token();
  const csrfToken = token();
  await db.deleteFrom('admin_sessions').where('expires_at', '<', now).execute();
  await db
    .insertInto('admin_sessions')
    .values({
      id: sha256(t),
      admin_id: adminId,
      csrf_token: csrfToken,
      expires_at: new Date(now.getTime() + SESSION_IDLE_MS),
      authenticated_at: now,
      created_at: now,
    })
    .execute();
  return { token: t, csrfToken };
}

export function setSessionCookie(c: Context, config: Config, value: string) {
  setCookie(c, sessionCookieName(config), value, { httpOnly: true, sameSite: 'Strict', secure: isHttps(config), path: '/' });
}

export function clearSessionCookie(c: Context, config: Config) {
  deleteCookie(c, sessionCookieName(config), { httpOnly: true, sameSite: 'Strict', secure: isHttps(config), path: '/' });
}

export async function endSession(db: Kysely<Database>, sessionId: string) {
  await db.deleteFrom('admin_sessions').where('id', '=', sessionId).execute();
}

/** Signs an admin out everywhere at once (disabled, removed, password reset). */
export async function endAllSessions(db: Kysely<Database> | Transaction<Database>, adminId: number) {
  await db.deleteFrom('admin_sessions').where('admin_id', '=', adminId).execute();
}

/** The password was just entered again in this session: sensitive actions are open for a while. */
export async function markAuthenticated(db: Kysely<Database>, sessionId: string, now: Date) {
  await db.updateTable('admin_sessions').set({ authenticated_at: now }).where('id', '=', sessionId).execute();
}

export async function loadSession(db: Kysely<Database>, cookieValue: string | undefined, now: Date): Promise<AdminSession | null> {
  if (!cookieValue || cookieValue.length > 128) return null;
  const id = sha256(cookieValue);
  const row = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('admins as a', 'a.id', 's.admin_id')
    .where('s.id', '=', id)
    // A disabled admin's sessions are deleted when it is disabled; this is the second lock.
    .where('a.disabled_at', 'is', null)
    .select(['s.id', 's.admin_id', 's.csrf_token', 's.expires_at', 's.authenticated_at', 's.created_at', 'a.email', 'a.role'])
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return null;
  let expiresAt = row.expires_at;
  const wanted = Math.min(now.getTime() + SESSION_IDLE_MS, row.created_at.getTime() + SESSION_MAX_MS);
  if (wanted - expiresAt.getTime() > SESSION_TOUCH_MS) {
    expiresAt = new Date(wanted);
    await db.updateTable('admin_sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
  }
  return {
    id: row.id,
    adminId: row.admin_id,
    email: row.email,
    role: row.role,
    csrfToken: row.csrf_token,
    expiresAt,
    authenticatedAt: row.authenticated_at,
    recentAuth: now.getTime() - row.authenticated_at.getTime() < RECENT_AUTH_MS,
  };
}

const unauthorized = () => new AppError('unauthorized', 401, 'Sign in to use the admin API');

export function requireSession(db: Kysely<Database>, config: Config, clock: () => Date): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = await loadSession(db, getCookie(c, sessionCookieName(config)), clock());
    if (!session) throw unauthorized();
    c.set('session', session);
    await next();
  };
}

const RANK: Record<AdminRole, number> = { viewer: 0, editor: 1, owner: 2 };
const ARTICLE: Record<AdminRole, string> = { viewer: 'a viewer', editor: 'an editor', owner: 'an owner' };

export const hasRole = (have: AdminRole, need: AdminRole) => RANK[have] >= RANK[need];

/**
 * The signed-in admin's role must be at least `need` (viewer < editor < owner), else 403
 * `insufficient_role`. Put it on every route after requireSession: the role is read from the
 * database on each request, so a demotion takes effect at once.
 */
export function requireRole(need: AdminRole): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const { role } = c.get('session');
    if (!hasRole(role, need)) {
      throw new AppError(
        'insufficient_role',
        403,
        `This needs the ${need} role; you are signed in as ${ARTICLE[role]}. Ask an owner if you need it.`,
      );
    }
    await next();
  };
}

/**
 * Sensitive actions (admins, exports of donor data, organisation settings): the password must
 * have been entered in this session within RECENT_AUTH_MS, else 403 `reauth_required`; the
 * console then asks for it (POST /api/admin/session/reauth) and retries. Uses the session's
 * clock-based `recentAuth`, so tests move the injected clock.
 */
export function requireRecentAuth(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (!c.get('session').recentAuth) {
      throw new AppError(
        'reauth_required',
        403,
        'Enter your password again to continue: this action needs a sign-in from the last 10 minutes.',
      );
    }
    await next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The first CSRF layer, for every mutating request including login: a browser names where a
 * request comes from (Sec-Fetch-Site, Origin), and a form on another site posting here is
 * refused before anything else happens. Clients that send neither (curl, scripts) still need
 * the session's CSRF token below.
 */
export function sameOriginOnly(config: Config): MiddlewareHandler {
  const publicOrigin = new URL(config.publicUrl).origin;
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      // same-site is refused too: a sibling subdomain is another party, yet SameSite cookies reach us from it.
      if (site && site !== 'same-origin' && site !== 'none') throw forbidden('Cross-site requests to the admin API are refused');
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== publicOrigin && origin !== new URL(c.req.url).origin) {
        throw forbidden('Cross-site requests to the admin API are refused');
      }
    }
    await next();
  };
}

/** The second CSRF layer: mutating requests must echo the session's token in X-CSRF-Token,
 * which a page on another origin cannot read. */
export function requireCsrfToken(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header('x-csrf-token') ?? '';
      const expected = c.get('session').csrfToken;
      const a = Buffer.from(sent);
      const b = Buffer.from(expected);
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        throw new AppError('csrf_failed', 403, 'Missing or wrong X-CSRF-Token header; reload the admin page and try again');
      }
    }
    await next();
  };
}

const forbidden = (message: string) => new AppError('forbidden', 403, message);
