/**
 * Message catalogs (SPEC §13 "Languages"): the one place that knows which languages we speak,
 * which of them read right to left, how a reader's language is picked, and how a message with
 * plural forms and {placeholders} becomes text. Server (e-mails), widget, donate and thanks pages
 * all use it; each keeps its own catalogs (a catalog is a plain object of messages).
 */

import { formattedOr } from './formatted.js';

export const LOCALES = ['en', 'es', 'fr', 'de', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** A message: plain text, or one text per plural category of `Intl.PluralRules` (`other` required). */
export type Message = string | ({ other: string } & Partial<Record<Intl.LDMLPluralRule, string>>);
export type Catalog = Record<string, Message>;

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/** Right-to-left languages among ours. */
export function isRtl(locale: string): boolean {
  return /^(ar|he|fa|ur)(-|$)/i.test(locale);
}

/**
 * The first supported language among `wanted` (e.g. `data-locale`, then navigator.languages, or
 * an Accept-Language list), matching on the primary subtag ("es-MX" → "es"); else English.
 */
export function pickLocale(wanted: readonly (string | null | undefined)[]): Locale {
  for (const w of wanted) {
    const primary = w?.trim().toLowerCase().split(/[-_]/)[0];
    if (isLocale(primary)) return primary;
  }
  return DEFAULT_LOCALE;
}

const rules = new Map<string, Intl.PluralRules>();

/** The plural category of `n` in `locale` ("one", "few", ...), by Intl.PluralRules. */
export function pluralCategory(locale: string, n: number): string {
  // Filed apart from the tag's numbers, so that "en-US", whose numbers are "en"'s, can name "en".
  return formattedOr(`plural:${locale}`, String(n), () => {
    const pr = rules.get(locale) ?? new Intl.PluralRules(locale);
    rules.set(locale, pr);
    return pr.select(n);
  });
}

/** A count as the reader writes it: "1,234" / "1.234" / "١٬٢٣٤". */
export function formatNumber(n: number, tag?: string): string {
  return formattedOr(tag, `n|${n}`, () => new Intl.NumberFormat(tag).format(n));
}

/** "24%" / "24 %" / "٢٤٪": a whole percentage in the reader's locale. */
export function formatPercent(n: number, tag?: string): string {
  return formattedOr(tag, `p|${n}`, () => new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 0 }).format(n / 100));
}

/**
 * The text of `message` in `locale`: picks the plural form by `vars.count` (Intl.PluralRules;
 * Arabic has zero/one/two/few/many/other) and fills `{name}` placeholders. A missing placeholder
 * stays visible as `{name}` rather than vanishing.
 */
export function format(locale: string, message: Message, vars: Record<string, string | number> = {}): string {
  let text: string;
  if (typeof message === 'string') text = message;
  else text = message[pluralCategory(locale, Number(vars.count ?? 0)) as Intl.LDMLPluralRule] ?? message.other;
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/**
 * A translator over a catalog with English as the fallback for missing keys:
 * `const t = translator('ar', ar, en); t('donors', { count: 3 })`.
 */
export function translator<K extends string>(
  locale: string,
  catalog: Partial<Record<K, Message>>,
  fallback: Record<K, Message>,
): (key: K, vars?: Record<string, string | number>) => string {
  return (key, vars) => format(catalog[key] ? locale : DEFAULT_LOCALE, catalog[key] ?? fallback[key], vars);
}
