/**
 * Everything the widget keeps on the reader's device, in the host page's localStorage under
 * "groundswell:…" keys: dismissals, the "gave" marker, the reader's variant, frequency counts.
 *
 * With data-consent="required" (ePrivacy: storing on, or reading from, a device needs consent even
 * without cookies) nothing is read or written until the host's consent manager calls
 * Groundswell.consent(true); until then what this page view learns is held in memory, and written
 * when consent comes. Groundswell.consent(false) removes what we stored. Storage can also be
 * blocked (private modes, partitioning, sandboxed frames): every access is guarded, and the
 * banner then merely forgets.
 */
const PREFIX = 'groundswell:';
/**
 * This page view's storage state. embed.js (the first paint) and embed-app.js (the banner that
 * takes over) are two bundles with a module each: the second adopts the first's state
 * (adoptStoreState), so consent and what waits for it are one, whichever script is asked.
 */
export interface StoreState {
  required: boolean;
  granted: boolean;
  /** What this page view learnt: written on consent, read back meanwhile. */
  pending: Map<string, string | null>;
}
let st: StoreState = { required: false, granted: false, pending: new Map() };

export const storeState = (): StoreState => st;
export function adoptStoreState(state: StoreState | undefined): void {
  if (state && state.pending instanceof Map) st = state;
}

export function requireConsent(): void {
  st.required = true;
}

export function storageAllowed(): boolean {
  return !st.required || st.granted;
}

export function setConsent(yes: boolean): void {
  st.granted = yes;
  if (yes) {
    for (const [k, v] of st.pending) write(k, v);
    st.pending.clear();
    return;
  }
  if (!st.required) return;
  try {
    const ls = window.localStorage;
    for (let i = ls.length - 1; i >= 0; i--) {
      const k = ls.key(i);
      if (k?.startsWith(PREFIX)) ls.removeItem(k);
    }
  } catch {
    // blocked storage: nothing was stored
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(PREFIX + key);
    else window.localStorage.setItem(PREFIX + key, value);
  } catch {
    // blocked or full: remembered for this page view only
  }
}

export function load(key: string): string | null {
  if (st.pending.has(key)) return st.pending.get(key) ?? null;
  if (!storageAllowed()) return null;
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string | null): void {
  if (storageAllowed()) write(key, value);
  else st.pending.set(key, value);
}

/** A stored "until" time in the future. */
export function until(key: string, now = Date.now()): boolean {
  const t = Number(load(key));
  return Number.isFinite(t) && t > now;
}
