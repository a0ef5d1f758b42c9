/**
 * "This reader gave to this campaign" (SPEC §13): the return link from /thanks carries a one-shot
 * marker in the fragment (#groundswell-gave=<slug>). embed.js reads it, removes it from the
 * address bar (a reload or a shared link must not thank someone else), and remembers the gift in
 * the host page's storage for THANKS_DAYS, so the banner thanks instead of appealing. Nothing is
 * stored when storage is blocked, or while the host says consent is required
 * (data-consent="required") and has not called Groundswell.consent(true); the page view that
 * carried the marker is thanked either way.
 */
export const MARKER = 'groundswell-gave';
const THANKS_DAYS = 30;
const key = (slug: string) => `groundswell:gave:${slug}`;

const seen = new Set<string>();
let consentRequired = false;
let consented = false;

export function requireConsent(): void {
  consentRequired = true;
}

/** Groundswell.consent(granted): what this page view learnt is stored once consent is given. */
export function setConsent(granted: boolean): void {
  consented = granted;
  if (granted) for (const slug of seen) store(slug);
}

function store(slug: string): void {
  if (consentRequired && !consented) return;
  try {
    window.localStorage.setItem(key(slug), String(Date.now() + THANKS_DAYS * 86_400_000));
  } catch {
    // blocked storage: thanked for this page view only
  }
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
        store(slug);
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
  if (seen.has(slug)) return true;
  try {
    const until = Number(window.localStorage.getItem(key(slug)));
    return Number.isFinite(until) && until > now;
  } catch {
    return false;
  }
}
