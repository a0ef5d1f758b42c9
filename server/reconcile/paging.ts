import Stripe from 'stripe';

/**
 * Stripe's list endpoints page by cursor (starting_after) and answer 429 when a client reads
 * too fast (https://docs.stripe.com/rate-limits). Reconciliation of a long period reads many
 * pages: each request that is refused with 429 waits (Retry-After when Stripe sends it, else
 * exponential backoff with jitter) and is tried again, up to `maxAttempts` times.
 */
export interface Backoff {
  /** First wait in ms; doubles per attempt. */
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
  /** Called for every 429 (counted in the report). */
  onRateLimited?: (waitMs: number) => void;
}

export const DEFAULT_BACKOFF: Backoff = {
  baseMs: 1_000,
  maxMs: 60_000,
  maxAttempts: 8,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function isRateLimited(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof Stripe.errors.StripeRateLimitError || (err instanceof Stripe.errors.StripeError && err.statusCode === 429);
}

/** Runs one Stripe request, waiting and retrying while it is rate-limited. */
export async function withBackoff<T>(backoff: Backoff, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!isRateLimited(err) || attempt >= backoff.maxAttempts) throw err;
      const retryAfter = Number(err.headers?.['retry-after']);
      const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
      const wait =
        Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(backoff.maxMs, retryAfter * 1000) : exp / 2 + Math.random() * (exp / 2);
      backoff.onRateLimited?.(wait);
      await backoff.sleep(wait);
    }
  }
}

/** Every object of a Stripe list, page by page (100 a page), each page under withBackoff. */
export async function* paged<T extends { id: string }>(
  backoff: Backoff,
  page: (startingAfter: string | undefined) => Promise<{ data: T[]; has_more: boolean }>,
): AsyncGenerator<T> {
  let after: string | undefined;
  for (;;) {
    const res = await withBackoff(backoff, () => page(after));
    for (const item of res.data) yield item;
    const last = res.data.at(-1);
    if (!res.has_more || !last) return;
    after = last.id;
  }
}
