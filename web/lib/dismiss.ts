/**
 * "Not now" remembered per campaign, on the host page's origin (lib/store.ts: nothing is stored
 * before consent when the host requires it; the dismissal then lasts this page view).
 */
import { save, until } from './store.js';

const key = (slug: string) => `dismissed:${slug}`;

export function isDismissed(slug: string, now = Date.now()): boolean {
  return until(key(slug), now);
}

export function rememberDismissal(slug: string, days: number, now = Date.now()): void {
  if (days > 0) save(key(slug), String(now + days * 86_400_000));
}
