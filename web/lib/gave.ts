/**
 * "This reader gave to this campaign" (SPEC §13): the return link from /thanks carries a one-shot
 * marker in the fragment (#groundswell-gave=<slug>). embed.js reads it, removes it from the
 * address bar (a reload or a shared link must not thank someone else), and remembers the gift in
 * the host page's storage for THANKS_DAYS, so the banner thanks instead of appealing. Nothing is
 * stored when storage is blocked, or while the host says consent is required
 * (data-consent="required") and has not called Groundswell.consent(true) (lib/store.ts); the
 * page view that carried the marker is thanked either way.
 */
import { save, until } from './store.js';

export const MARKER = 'groundswell-gave';
const THANKS_DAYS = 30;
const key = (slug: string) => `gave:${slug}`;

let seen = new Set<string>();
/** The slugs this page view was thanked for, shared from embed.js to embed-app.js like the store's state. */
export const gaveSeen = (): Set<string> => seen;
export function adoptGaveSeen(s: Set<string> | undefined): void {
  if (s instanceof Set) seen = s;
}

/** Reads and removes the marker from the address (once per page load). */
export function takeMarker(): void {
  try {
    const hash = location.hash.replace(/^#/, '');
    if (!hash) return;
    const parts = hash.split('&');
    const rest = parts.filter((p) => {
      const [k, v] = p.split('=');
      if (k !== MARKER || !v) return true;
      const slug = decodeURIComponent(v);
      if (/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) {
        seen.add(slug);
        save(key(slug), String(Date.now() + THANKS_DAYS * 86_400_000));
      }
      return false;
    });
    if (rest.length === parts.length) return;
    const url = `${location.pathname}${location.search}${rest.length ? `#${rest.join('&')}` : ''}`;
    history.replaceState(history.state, '', url);
  } catch {
    // a sandboxed frame without history access: the marker stays, harmlessly
  }
}

export function hasGiven(slug: string, now = Date.now()): boolean {
  return seen.has(slug) || until(key(slug), now);
}
