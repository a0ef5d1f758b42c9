/** The public HTTP API as the widget and pages see it (SPEC §4). No dependency beyond fetch. */

// The response shapes live in common/api.ts, which the server produces against (type-only
// imports, erased from the bundle), so the widget and the API cannot drift apart.
export type { Progress as CampaignProgress, PublicDonor } from '../../common/api.js';
import type { Progress as CampaignProgress, PublicDonor } from '../../common/api.js';
import type { Locale } from '../../common/i18n.js';

export interface CheckoutBody {
  amount: number;
  frequency: 'once' | 'monthly';
  coverFees?: boolean;
  name?: string;
  email?: string;
  anonymous?: boolean;
  comment?: string;
  dedication?: { kind: 'honor' | 'memory'; name: string };
  captchaToken?: string;
  /** The copy variant the reader saw (SPEC §13). */
  variant?: string;
  /** The reader's language: receipts and e-mails in it (SPEC §13). */
  locale?: Locale;
}

export interface CheckoutSessionStatus {
  status: 'processing' | 'paid' | 'pending' | 'failed' | 'expired';
  amount: number;
  chargeAmount: number;
  currency: string;
  frequency: 'once' | 'monthly';
  campaign: { slug: string; title: string };
  /** A receipt was queued for the e-mail address given at checkout. */
  receipt: boolean;
  /** A paid monthly gift's signed link to manage it (change, update card, cancel). */
  manageUrl?: string | null;
}

/** An error answer of the API in words, plus what the UI needs to act on it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const enc = encodeURIComponent;

async function toApiError(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = '';
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? '';
    field = body.error?.field;
  } catch {
    // not JSON (a proxy's error page): fall through to a generic sentence
  }
  // Retry-After is readable cross-origin only if the server exposes it; the message says enough otherwise.
  const ra = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(ra) && ra > 0 ? ra : undefined;
  if (!message) {
    message =
      res.status === 429
        ? 'Too many attempts.'
        : res.status >= 500
          ? 'Something went wrong on our side; please try again in a moment.'
          : `The request was refused (${res.status}).`;
  }
  return new ApiError(message, res.status, code, field, retryAfter);
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'omit', ...init });
  } catch {
    throw new ApiError('Could not reach the donation server; check your connection and try again.', 0, 'network_error');
  }
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

export function fetchProgress(api: string, slug: string, init?: RequestInit): Promise<CampaignProgress> {
  return getJson(`${api}/api/campaigns/${enc(slug)}`, init);
}

export function fetchDonors(api: string, slug: string, limit: number, init?: RequestInit): Promise<{ donors: PublicDonor[] }> {
  return getJson(`${api}/api/campaigns/${enc(slug)}/donors?limit=${limit}`, init);
}

export function startCheckout(api: string, slug: string, body: CheckoutBody): Promise<{ id: string; url: string }> {
  // The host page's referrer policy is left alone (no referrerPolicy override). What lets
  // Checkout bring the donor back to the article is sent explicitly: origin + path only.
  const returnTo = pageAddress();
  return getJson(`${api}/api/campaigns/${enc(slug)}/checkout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(returnTo ? { ...body, returnTo } : body),
  });
}

/**
 * The page to return the donor to: origin + path, never the query or fragment (tokens, tags).
 * A host page that states a stricter referrer policy in a <meta> gets what that policy would
 * send: nothing for no-referrer, the origin for the origin-only policies.
 */
export function pageAddress(): string | undefined {
  try {
    const policy = document.querySelector('meta[name="referrer" i]')?.getAttribute('content')?.trim().toLowerCase() ?? '';
    if (policy === 'no-referrer' || policy === 'same-origin') return undefined;
    if (/^(strict-)?origin(-when-cross-origin)?$/.test(policy)) return `${location.origin}/`;
    return `${location.origin}${location.pathname}`;
  } catch {
    return undefined;
  }
}

export interface PledgeBody {
  amount: number;
  frequency: 'once' | 'monthly';
  email: string;
  name?: string;
  locale?: Locale;
  consent: true;
}

/** While payments are down (SPEC §13): a promise to give, e-mailed about once when they are back. */
export function startPledge(api: string, slug: string, body: PledgeBody): Promise<{ id: string; deleteAfter: string }> {
  return getJson(`${api}/api/campaigns/${enc(slug)}/pledges`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function fetchCheckoutStatus(api: string, sessionId: string): Promise<CheckoutSessionStatus> {
  return getJson(`${api}/api/checkout-sessions/${enc(sessionId)}`, { cache: 'no-store' });
}

export function subscribeDigest(api: string, email: string): Promise<{ subscribed: boolean; message: string }> {
  return getJson(`${api}/api/digest/subscribe`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, consent: true }),
  });
}

/** Sends the donor to Stripe Checkout in the top window: never inside a widget or frame (STYLE §11). */
export function goToCheckout(url: string): void {
  try {
    window.top!.location.href = url;
  } catch {
    // A cross-origin frame without user activation may not navigate the top window.
    window.location.assign(url);
  }
}
