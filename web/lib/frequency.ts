/**
 * Frequency capping (SPEC §13): at most `impressions` views of a placed (top or bottom) banner per
 * reader per `days`, counted per campaign in the host page's storage (lib/store.ts: without
 * consent nothing is counted or read, and the banner shows uncapped). The record keeps the cap it
 * was counted under, so a capped reader's next page view adds no element at all (no flash of a
 * banner that then goes away) before the campaign's settings arrive.
 */
import { load, save } from './store.js';

export type Frequency = { impressions: number; days: number } | null | undefined;
/** [impressions, days, ...times of the last views] */
type Seen = number[];
const key = (slug: string) => `seen:${slug}`;

function read(slug: string): Seen {
  try {
    const r = JSON.parse(load(key(slug)) ?? '[]');
    return Array.isArray(r) ? r : [];
  } catch {
    return [];
  }
}

const recent = (r: Seen, days: number, now: number) => r.slice(2).filter((t) => t > now - days * 86_400_000);

/** With `freq` undefined: the cap the last count was made under (before the progress arrives). */
export function isCapped(slug: string, freq?: Frequency, now = Date.now()): boolean {
  const r = read(slug);
  const [n, d] = freq === undefined ? r : freq ? [freq.impressions, freq.days] : [];
  return n! > 0 && recent(r, d!, now).length >= n!;
}

export function countImpression(slug: string, freq: Frequency, now = Date.now()): void {
  if (!freq || !(freq.impressions > 0)) return;
  const t = [...recent(read(slug), freq.days, now), now].slice(-freq.impressions);
  save(key(slug), JSON.stringify([freq.impressions, freq.days, ...t]));
}
