import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFormatted } from '../../common/formatted.js';
import { formatNumber, formatPercent, pluralCategory } from '../../common/i18n.js';
import { formatMoney } from '../../common/money.js';
import { FIGURE_TAGS } from '../../server/site/embed-figures.js';
import { hasChromium, launch } from './helpers/browser.js';

/**
 * The server formats the first paint's figures and markup for the reader tags it folds into
 * embed.js (server/site/embed-figures.ts FIGURE_TAGS) with Node's ICU; the banner shows that text
 * until it formats its own with Chromium's. Both must say the same, or a banner's words would
 * change under the reader's eyes. Every tag is compared on money in the currencies a campaign
 * may use, whole and with cents, small and large, on percentages, counts and English plurals.
 */
describe.skipIf(!hasChromium)('figures formatted by the server are what Chromium formats', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('for every folded reader tag', async () => {
    const currencies = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'INR', 'ZAR', 'JPY', 'CHF'];
    const amounts = [0, 500, 2_550, 1_234_567, 50_000_000, 123_456_789_00];
    const counts = [0, 1, 2, 7, 30, 1234, 1_234_567];
    // Node's answers, made by the formatters themselves (as the server makes the folded figures).
    const node = recordFormatted(() => {
      for (const tag of FIGURE_TAGS) {
        for (const c of currencies) for (const a of amounts) for (const exact of [false, true]) formatMoney(a, c, { locale: tag, exact });
        for (const p of [0, 7, 24, 100, 250]) formatPercent(p, tag);
        for (const n of counts) formatNumber(n, tag);
      }
      for (const n of counts) pluralCategory('en', n);
    });
    // The same calls through Intl in Chromium: the options common/money.ts and common/i18n.ts use.
    const page = await (await browser.newContext()).newPage();
    const chromium = await page.evaluate(
      ({ tags, currencies, amounts, counts }) => {
        const out: Record<string, Record<string, string>> = {};
        const put = (tag: string, k: string, v: string) => {
          out[tag] ??= {};
          out[tag][k] = v;
        };
        for (const tag of tags) {
          for (const c of currencies) {
            const decimals = new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits ?? 2;
            for (const a of amounts)
              for (const exact of [false, true]) {
                const digits = a % 10 ** decimals === 0 && !exact ? 0 : decimals;
                const major = decimals
                  ? `${Math.trunc(a / 10 ** decimals)}.${String(a % 10 ** decimals).padStart(decimals, '0')}`
                  : String(a);
                const f = new Intl.NumberFormat(tag, {
                  style: 'currency',
                  currency: c,
                  minimumFractionDigits: digits,
                  maximumFractionDigits: digits,
                });
                put(tag, `m|${c}|${digits}|${a}`, f.format(major as unknown as number));
              }
          }
          for (const p of [0, 7, 24, 100, 250])
            put(tag, `p|${p}`, new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 0 }).format(p / 100));
          for (const n of counts) put(tag, `n|${n}`, new Intl.NumberFormat(tag).format(n));
        }
        const pr = new Intl.PluralRules('en');
        for (const n of counts) put('plural:en', String(n), pr.select(n));
        return out;
      },
      { tags: [...FIGURE_TAGS], currencies, amounts, counts },
    );
    // Node names a tag whose figures equal an earlier tag's by that tag's name.
    const resolved = (t: string) => {
      const own = node[t];
      return typeof own === 'string' ? node[own] : own;
    };
    for (const tag of [...FIGURE_TAGS, 'plural:en']) expect({ tag, figures: chromium[tag] }).toEqual({ tag, figures: resolved(tag) });
  });
});
