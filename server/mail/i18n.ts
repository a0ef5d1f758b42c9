import { DEFAULT_LOCALE, type Locale, isRtl, translator } from '../../common/i18n.js';
import { formatMoney } from '../../common/money.js';
import { ar } from './catalogs/ar.js';
import { de } from './catalogs/de.js';
import { type MailCatalog, type MailKey, en } from './catalogs/en.js';
import { es } from './catalogs/es.js';
import { fr } from './catalogs/fr.js';

/** Every catalog of donor-facing mails, by language (SPEC §13 "Languages"). */
export const MAIL_CATALOGS: Record<Locale, MailCatalog> = { en, es, fr, de, ar };

/** What a template needs to speak the donor's language: words, money, dates and direction. */
export interface MailLang {
  locale: Locale;
  t: (key: MailKey, vars?: Record<string, string | number>) => string;
  /** Minor units → "$1,234.50" / "1.234,50 $" in this language (always with the currency's decimals). */
  money: (amount: number, currency: string) => string;
  /** An instant as a long date in the organisation's zone, in this language. */
  day: (iso: string, timeZone: string) => string;
  rtl: boolean;
}

const cache = new Map<Locale, MailLang>();

export function mailLang(locale: Locale = DEFAULT_LOCALE): MailLang {
  let l = cache.get(locale);
  if (!l) {
    // English keeps its US formats ("$25.00", "December 1, 2026"), as mails always had.
    const tag = locale === 'en' ? 'en-US' : locale;
    const days = new Map<string, Intl.DateTimeFormat>();
    l = {
      locale,
      t: translator(locale, MAIL_CATALOGS[locale], en),
      money: (amount, currency) => formatMoney(amount, currency.toUpperCase(), { locale: tag, exact: true }),
      day: (iso, timeZone) => {
        let f = days.get(timeZone);
        if (!f) {
          f = new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone });
          days.set(timeZone, f);
        }
        return f.format(new Date(iso));
      },
      rtl: isRtl(locale),
    };
    cache.set(locale, l);
  }
  return l;
}
