import type { AdminRole } from '../../../db/schema.js';
import { sessionCookieName } from '../../../server/admin/auth.js';
import { deviceCookieName } from '../../../server/admin/devices.js';
import { hashPassword } from '../../../server/admin/passwords.js';
import type { TestContext } from '../../helpers/app.js';

export const ADMIN_EMAIL = 'ops@example.org';
export const ADMIN_PASSWORD = 'correct horse battery';

let cachedHash: Promise<string> | undefined;

/** An admin row (argon2 is slow on purpose, so the hash is computed once per test file). */
export async function makeAdmin(ctx: TestContext, email = ADMIN_EMAIL, role: AdminRole = 'owner') {
  const password_hash = await (cachedHash ??= hashPassword(ADMIN_PASSWORD));
  await ctx.db
    .insertInto('admins')
    .values({ email, password_hash, role })
    .onConflict((oc) => oc.column('email').doNothing())
    .execute();
}

/** `name=value` of the cookie called `name` among a response's Set-Cookie headers. */
export function cookieFrom(res: Response, name: string): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));
}

export interface AdminClient {
  /** The session cookie, `gs_admin=...`. */
  cookie: string;
  /** The known-device cookie this sign-in left, `gs_admin_device=...`. */
  deviceCookie: string;
  csrfToken: string;
  /** A same-origin request as the console makes it: cookie, JSON, CSRF token. */
  req(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  json<T = any>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
}

export function loginRequest(ctx: TestContext, email: string, password: string, headers: Record<string, string> = {}) {
  return ctx.app.request('/api/admin/login', {
    method: 'POST',
    body: JSON.stringify({ email, password }),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export async function signIn(ctx: TestContext, email = ADMIN_EMAIL, role: AdminRole = 'owner'): Promise<AdminClient> {
  await makeAdmin(ctx, email, role);
  const res = await loginRequest(ctx, email, ADMIN_PASSWORD);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return clientFromLogin(ctx, res);
}

/** A console client from a successful sign-in response (login or invitation acceptance). */
export async function clientFromLogin(ctx: TestContext, res: Response): Promise<AdminClient> {
  // With an https PUBLIC_URL the cookies carry the __Host- prefix.
  const cookie = cookieFrom(res, sessionCookieName(ctx.config))!;
  const deviceCookie = cookieFrom(res, deviceCookieName(ctx.config))!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const req: AdminClient['req'] = async (path, init = {}) =>
    ctx.app.request(`/api/admin${path}`, {
      method: init.method ?? 'GET',
      ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        'sec-fetch-site': 'same-origin',
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...init.headers,
      },
    });
  return {
    cookie,
    deviceCookie,
    csrfToken,
    req,
    async json(path, init) {
      const res = await req(path, init);
      if (res.status >= 300) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

/** A gift through the real path: checkout endpoint → emulator pays → signed webhooks. */
export async function donate(
  ctx: TestContext,
  slug: string,
  body: { amount: number; frequency?: 'once' | 'monthly'; email?: string; name?: string; coverFees?: boolean; comment?: string },
): Promise<{ sessionId: string; giftId: string; paymentIntent: string; subscription: string | null }> {
  const res = await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
    method: 'POST',
    body: JSON.stringify({ frequency: 'once', ...body }),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  await ctx.emulator.completeCheckout(id);
  await ctx.emulator.flush();
  const gift = await ctx.db
    .selectFrom('gifts')
    .where('checkout_session_id', '=', id)
    .select(['id', 'payment_intent_id', 'subscription_id'])
    .executeTakeFirstOrThrow();
  const payment = await ctx.db
    .selectFrom('payments')
    .where('gift_id', '=', gift.id)
    .where('payment_intent_id', 'is not', null)
    .select('payment_intent_id')
    .orderBy('id')
    .executeTakeFirst();
  const pi = gift.payment_intent_id ?? payment?.payment_intent_id;
  if (!pi) throw new Error(`no payment intent for ${id}`);
  return { sessionId: id, giftId: gift.id, paymentIntent: pi, subscription: gift.subscription_id };
}
