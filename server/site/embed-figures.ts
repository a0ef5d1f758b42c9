import type { Progress } from '../../common/api.js';
import { type Figures, recordFormatted } from '../../common/formatted.js';
import { formatNumber, formatPercent, pickLocale, pluralCategory } from '../../common/i18n.js';
import { formatMoney } from '../../common/money.js';
import { daysLeft } from '../../web/components/format.js';

/**
 * The reader tags whose figures (and banner markup, embed-markup.tsx) embed.js carries
 * ready-made: English as browsers send it in the US, the UK, Australia, Canada, India, New
 * Zealand, Ireland and South Africa, and bare (every reader of a language we do not speak). A
 * tag whose text is the same as another's costs only its name. Readers of our other languages see
 * a placeholder first anyway, while their catalog loads (BannerView warms Intl up meanwhile); any
 * other tag ("en-SG") formats with Intl and waits for the live banner, as before. Node's ICU must
 * format these as Chromium's does (tests/browser/figures-icu.test.ts).
 */
export const FIGURE_TAGS = ['en', 'en-US', 'en-GB', 'en-AU', 'en-CA', 'en-IN', 'en-NZ', 'en-IE', 'en-ZA'] as const;

/** Whole days left as the banner counts them. */
export { daysLeft };

/**
 * Every number the banner's first render formats for these campaigns (web/components/
 * BannerView.tsx, GoalMeter.tsx, format.ts: money, percentages, counts and their plural forms), in
 * each of FIGURE_TAGS, by the formatters the banner itself calls (common/formatted.ts). Days left
 * come from the reader's clock, so the days around the server's count are included too. A figure
 * missing here only costs the reader Intl's start-up, never a wrong text.
 */
export function firstPaintFigures(campaigns: Progress[], now: number): Figures {
  return recordFormatted(() => {
    for (const p of campaigns) figuresOf(p, now);
  });
}

function figuresOf(p: Progress, now: number): void {
  const counts = [p.donors];
  const days = daysLeft(p, now);
  // One day or less left reads "Last day", without a number.
  for (const d of [days - 1, days, days + 1]) if (d > 1) counts.push(d);
  for (const tag of FIGURE_TAGS) {
    const money = (n: number) => formatMoney(n, p.currency, { locale: tag });
    for (const n of [p.total, p.goal, p.reachedGoal, p.match?.cap]) if (n != null) money(n);
    formatPercent(p.percent, tag);
    if (p.match && !Number.isInteger(p.match.ratio)) formatPercent(Math.round(p.match.ratio * 100), tag);
    const lang = pickLocale([tag]);
    for (const n of counts) {
      formatNumber(n, tag);
      // A catalog's own message takes its language's plural rules; an English fallback, English's.
      pluralCategory(lang, n);
    }
  }
}
