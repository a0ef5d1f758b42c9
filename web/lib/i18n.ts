/**
 * The widget's and pages' side of the message catalogs (common/i18n.ts holds the rules): which
 * language a reader gets, the translator the components call, and numbers in that language.
 * English is inline (messages/en-*.ts); es, fr, de and ar are whole catalogs (messages/<lang>.ts)
 * that embed.js fetches as embed-<lang>.json from its own origin only for a reader who needs them
 * (web/vite.embed.config.ts emits them), and that the pages and the React component import lazily.
 */
import { DEFAULT_LOCALE, format, formatNumber, isRtl, type Locale, type Message, pickLocale } from '../../common/i18n.js';
import type { bannerEn } from './messages/en-banner.js';
import type { dialogEn } from './messages/en-dialog.js';
import type { pagesEn } from './messages/en-pages.js';

export type Key = keyof typeof bannerEn | keyof typeof dialogEn | keyof typeof pagesEn;
/** A whole catalog: every key of the English ones (checked by tsc and tests/unit/web/catalogs). */
export type Messages = Record<Key, Message>;
export type Vars = Record<string, string | number>;
export type T = (key: Key, vars?: Vars) => string;

/** The reader's language (catalog), the BCP 47 tag Intl formats with, and the writing direction. */
export interface Lang {
  lang: Locale;
  tag: string;
  dir: 'ltr' | 'rtl';
}

/**
 * The first supported language among `wanted` (data-locale or ?locale=, then the browser's);
 * a regional tag asked for ("es-MX") is kept for numbers, dates and money.
 */
export function resolveLang(wanted: readonly (string | null | undefined)[]): Lang {
  const lang = pickLocale(wanted);
  // The first wanted tag of that language, if it is well formed (Intl throws on a malformed one).
  const tag = wanted
    .map((w) => w?.trim().replace(/_/g, '-') ?? '')
    .find((w) => w.toLowerCase().split('-')[0] === lang && /^[a-z]{2,3}(-[a-z\d]{2,8})*$/i.test(w));
  return { lang, tag: tag ?? lang, dir: isRtl(lang) ? 'rtl' : 'ltr' };
}

export function browserLanguages(): string[] {
  try {
    return [...(navigator.languages?.length ? navigator.languages : [navigator.language])];
  } catch {
    return [];
  }
}

/**
 * A translator: the reader's catalog (possibly partial, or not loaded yet), then English. A key
 * missing from both shows as itself, never as a crash in someone else's page.
 */
export function makeT(lang: string, own: Partial<Record<string, Message>>, en: Partial<Record<string, Message>>): T {
  return (key, vars = {}) => {
    const mine = own[key];
    const m = mine ?? en[key];
    return m === undefined ? key : format(mine ? lang : DEFAULT_LOCALE, m, vars);
  };
}

/** A count for a plural message: `count` chooses the form, `n` is the number as the reader writes it. */
export function count(n: number, tag?: string): Vars {
  return { count: n, n: formatNumber(n, tag) };
}

/** "24%" / "24 %" / "٢٤٪": a whole percentage in the reader's locale. */
export { formatPercent as percent } from '../../common/i18n.js';
