import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';

/**
 * "Known device" cookies (OWASP's device-cookie scheme): after a successful sign-in the browser
 * gets a cookie that says "this device has signed in to admin N before". Sign-in limits that
 * protect an account from guessing spread over many addresses do not apply to it, so a
 * stranger who hammers an admin's e-mail cannot lock that admin out of their own browser.
 *
 * The cookie is `v1.<adminId>.<deviceId>.<mac>`, mac = HMAC-SHA256 over "<adminId>.<deviceId>"
 * with the admin's own device_key (random, in the database, never sent anywhere). Changing the
 * password replaces device_key, which revokes every device of that admin at once.
 */
const DEVICE_MAX_AGE_S = 180 * 24 * 3600;

const isHttps = (config: Config) => config.publicUrl.startsWith('https:');
export const deviceCookieName = (config: Config) => (isHttps(config) ? '__Host-gs_admin_device' : 'gs_admin_device');

const mac = (key: string, adminId: number, deviceId: string) =>
  createHmac('sha256', Buffer.from(key, 'base64url')).update(`${adminId}.${deviceId}`).digest();

/** The device id when the request carries a valid device cookie for this admin, else null. */
export function knownDevice(c: Context, config: Config, admin: { id: number; device_key: string | null }): string | null {
  const value = getCookie(c, deviceCookieName(config));
  if (!value || !admin.device_key || value.length > 200) return null;
  const m = /^v1\.(\d{1,10})\.([\w-]{22})\.([\w-]{43})$/.exec(value);
  if (!m || Number(m[1]) !== admin.id) return null;
  const expected = mac(admin.device_key, admin.id, m[2]!);
  const sent = Buffer.from(m[3]!, 'base64url');
  return sent.length === expected.length && timingSafeEqual(sent, expected) ? m[2]! : null;
}

/** Remembers this browser as a device of the admin (a new device id unless it already had one). */
export async function rememberDevice(
  c: Context,
  db: Kysely<Database>,
  config: Config,
  admin: { id: number; device_key: string | null },
  deviceId: string | null,
): Promise<void> {
  let key = admin.device_key;
  if (!key) {
    const fresh = randomBytes(32).toString('base64url');
    // Two first sign-ins at once: whichever key landed first wins, both cookies use it.
    const row = await db
      .updateTable('admins')
      .set((eb) => ({ device_key: eb.fn.coalesce('device_key', eb.val(fresh)) }))
      .where('id', '=', admin.id)
      .returning('device_key')
      .executeTakeFirst();
    key = row?.device_key ?? fresh;
  }
  const id = deviceId ?? randomBytes(16).toString('base64url');
  const value = `v1.${admin.id}.${id}.${mac(key, admin.id, id).toString('base64url')}`;
  setCookie(c, deviceCookieName(config), value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(config),
    path: '/',
    maxAge: DEVICE_MAX_AGE_S,
  });
}

/** Forgets every device of the admin (password changed): the next sign-in makes a new key. */
export async function forgetDevices(db: Kysely<Database>, adminId: number): Promise<void> {
  await db.updateTable('admins').set({ device_key: null }).where('id', '=', adminId).execute();
}
