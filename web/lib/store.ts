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
let required = false;
let granted = false;
/** What this page view learnt: written on consent, read back meanwhile. */
const pending = new Map<string, string | null>();

export function requireConsent(): void {
  required = true;
}

export function storageAllowed(): boolean {
  return !required || granted;
}

export function setConsent(yes: boolean): void {
  granted = yes;
  if (yes) {
    for (const [k, v] of pending) write(k, v);
    pending.clear();
    return;
  }
  if (!required) return;
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
  if (pending.has(key)) return pending.get(key) ?? null;
  if (!storageAllowed()) return null;
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string | null): void {
  if (storageAllowed()) write(key, value);
  else pending.set(key, value);
}

/** A stored "until" time in the future. */
export function until(key: string, now = Date.now()): boolean {
  const t = Number(load(key));
  return Number.isFinite(t) && t > now;
}
