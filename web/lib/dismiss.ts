/**
 * "Not now" remembered per campaign, on the host page's origin. Storage can be blocked (Safari
 * private mode, third-party storage partitioning, sandboxed frames): every access is guarded so
 * that the banner still works, merely forgetting the dismissal.
 */
const key = (slug: string) => `groundswell:dismissed:${slug}`;

export function isDismissed(slug: string, now = Date.now()): boolean {
  try {
    const until = Number(window.localStorage.getItem(key(slug)));
    return Number.isFinite(until) && until > now;
  } catch {
    return false;
  }
}

export function rememberDismissal(slug: string, days: number, now = Date.now()): void {
  if (!(days > 0)) return;
  try {
    window.localStorage.setItem(key(slug), String(now + days * 86_400_000));
  } catch {
    // blocked storage: dismissed for this page view only
  }
}
