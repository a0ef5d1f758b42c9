/**
 * The admin API from the console: same-origin JSON, the session in an HttpOnly cookie the page
 * never sees, and the CSRF token (from /login or /me) echoed on every mutating request.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};
let onReauthRequired: (() => Promise<boolean>) | null = null;

export function setCsrfToken(token: string) {
  csrfToken = token;
}

/** Called when a request finds the session gone (expired, signed out elsewhere). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

/**
 * Called when the server wants the password again (403 reauth_required, SPEC §11): the console
 * asks for it, and resolves true once POST /session/reauth succeeded (false: the admin cancelled).
 */
export function setReauthHandler(fn: () => Promise<boolean>) {
  onReauthRequired = fn;
}

const reauthCancelled = () => new ApiError(403, 'reauth_required', 'This needs your password again; nothing was changed.');

/** Before something the API checks only after it started (a CSV download): ask for the password
 * now if the last one is more than 10 minutes old. */
export async function ensureRecentAuth(): Promise<void> {
  const me = await api<{ recentAuth?: boolean }>('/me');
  if (me.recentAuth !== false) return;
  if (!onReauthRequired || !(await onReauthRequired())) throw reauthCancelled();
}

export async function api<T = unknown>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/admin${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server; check your connection and try again.');
  }
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string; field?: string } } | null;
  if (!res.ok) {
    if (res.status === 403 && data?.error?.code === 'reauth_required' && onReauthRequired) {
      // The request was refused before it did anything: ask for the password, then send it again.
      if (await onReauthRequired()) return api<T>(path, opts);
      throw reauthCancelled();
    }
    if (res.status === 401 && path !== '/login') onUnauthorized();
    const e = data?.error;
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `Request failed (${res.status})`, e?.field);
  }
  return data as T;
}

/** Field → message, for forms that show errors next to the field they concern. */
export function fieldErrors(err: unknown): { fields: Record<string, string>; general: string } {
  if (err instanceof ApiError && err.field) {
    // The server names the field ("goal must be positive"); next to the field the name is redundant.
    const top = err.field.split('.')[0]!;
    const message = err.message.startsWith(`${err.field} `) ? err.message.slice(err.field.length + 1) : err.message;
    return { fields: { [top]: message.charAt(0).toUpperCase() + message.slice(1) }, general: '' };
  }
  return { fields: {}, general: err instanceof Error ? err.message : String(err) };
}
