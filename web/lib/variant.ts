/**
 * Copy variants (SPEC §13): one is chosen by weight among those for everyone or for the reader's
 * language, and kept: for this page view always, across visits in the host page's storage when
 * storage is allowed (lib/store.ts; without consent a reader may see another variant next time).
 */
import type { PublicVariant } from '../../common/api.js';
import type { Locale } from '../../common/i18n.js';
import { load, save } from './store.js';

let chosen = new Map<string, string>();
/** The variants this page view chose, shared from embed.js to embed-app.js like the store's state. */
export const chosenVariants = (): Map<string, string> => chosen;
export function adoptChosenVariants(m: Map<string, string> | undefined): void {
  if (m instanceof Map) chosen = m;
}

export function pickVariant(
  slug: string,
  variants: PublicVariant[] | undefined,
  lang: Locale,
  random: () => number = Math.random,
): PublicVariant | null {
  const eligible = (variants ?? []).filter((v) => v.weight > 0 && (v.locale == null || v.locale === lang));
  if (!eligible.length) return null;
  const kept = chosen.get(slug) ?? load(`variant:${slug}`);
  let pick = eligible.find((v) => v.id === kept);
  if (!pick) {
    let r = random() * eligible.reduce((s, v) => s + v.weight, 0);
    pick = eligible[eligible.length - 1]!;
    for (const v of eligible) {
      r -= v.weight;
      if (r < 0) {
        pick = v;
        break;
      }
    }
    save(`variant:${slug}`, pick.id);
  }
  chosen.set(slug, pick.id);
  return pick;
}
