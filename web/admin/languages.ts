import type { Locale } from '../../common/i18n.js';

/** How the console names each language of common/i18n.ts (English first: the default). */
export const LANGUAGE_NAMES: Record<Locale, string> = {
  en: 'English',
  es: 'Spanish (español)',
  fr: 'French (français)',
  de: 'German (Deutsch)',
  ar: 'Arabic (العربية)',
};
