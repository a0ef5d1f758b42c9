import { afterEach, describe, expect, it, vi } from 'vitest';
import { learnFormatted, recordFormatted } from '../../../common/formatted.js';
import { format, formatNumber, formatPercent, pluralCategory } from '../../../common/i18n.js';
import { formatMoney } from '../../../common/money.js';

/**
 * common/formatted.ts: figures formatted ahead of time (by the server, folded into embed.js) are
 * what the formatters answer, without Intl; anything else is formatted by Intl as before.
 */
describe('figures formatted ahead of time', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('records every figure the formatters make, naming a tag whose figures equal an earlier one’s', () => {
    const figures = recordFormatted(() => {
      for (const tag of ['en', 'en-US', 'en-GB']) {
        formatMoney(1_234_567, 'USD', { locale: tag });
        formatPercent(24, tag);
        formatNumber(1234, tag);
      }
      pluralCategory('en', 1);
      pluralCategory('ar', 3);
    });
    expect(figures).toEqual({
      en: { 'm|USD|2|1234567': '$12,345.67', 'p|24': '24%', 'n|1234': '1,234' },
      'en-US': 'en',
      'en-GB': { 'm|USD|2|1234567': 'US$12,345.67', 'p|24': '24%', 'n|1234': '1,234' },
      'plural:en': { '1': 'one' },
      'plural:ar': { '3': 'few' },
    });
  });

  it('answers learnt figures without asking Intl, and exactly what Intl says for the rest', () => {
    // What the server would fold in for a reader in en-US (the same calls, the same ICU).
    const figures = recordFormatted(() => {
      formatMoney(5_000_000, 'USD', { locale: 'en-US' });
      formatMoney(1_234_550, 'EUR', { locale: 'en-US' });
      formatNumber(2, 'en-US');
      pluralCategory('en', 2);
    });
    learnFormatted(JSON.parse(JSON.stringify(figures)));

    // Intl.NumberFormat's format is a getter: each use reads it once.
    const format = vi.spyOn(Intl.NumberFormat.prototype as unknown as { format: unknown }, 'format', 'get');
    const select = vi.spyOn(Intl.PluralRules.prototype, 'select');
    expect(formatMoney(5_000_000, 'USD', { locale: 'en-US' })).toBe('$50,000');
    expect(formatMoney(1_234_550, 'EUR', { locale: 'en-US' })).toBe('€12,345.50');
    expect(formatNumber(2, 'en-US')).toBe('2');
    expect(pluralCategory('en', 2)).toBe('other');
    expect(format).not.toHaveBeenCalled();
    expect(select).not.toHaveBeenCalled();

    // Another amount, another tag, the exact form of a learnt amount: Intl, as without figures.
    expect(formatMoney(5_000_001, 'USD', { locale: 'en-US' })).toBe('$50,000.01');
    expect(formatMoney(5_000_000, 'USD', { locale: 'en-US', exact: true })).toBe('$50,000.00');
    expect(formatMoney(5_000_000, 'USD', { locale: 'de-DE' })).toBe('50.000\u00a0$');
    expect(formatNumber(3, 'en-US')).toBe('3');
    expect(pluralCategory('en', 1)).toBe('one');
    expect(format).toHaveBeenCalledTimes(4);
    expect(select).toHaveBeenCalledTimes(1);
  });

  it('fills plural messages from learnt categories', () => {
    learnFormatted({ 'plural:ar': { '11': 'many' } });
    const select = vi.spyOn(Intl.PluralRules.prototype, 'select');
    const donors = { zero: 'zero', one: 'one', two: 'two', few: 'few', many: 'many {n}', other: 'other' };
    expect(format('ar', donors, { count: 11, n: '11' })).toBe('many 11');
    expect(select).not.toHaveBeenCalled();
    expect(format('ar', donors, { count: 3, n: '3' })).toBe('few');
  });

  it('ignores what is not a table of texts', () => {
    learnFormatted({ 'en-AU': 'no-such-tag', 'en-CA': { 'n|5': 5 as unknown as string } } as never);
    expect(formatNumber(5, 'en-CA')).toBe('5');
    expect(formatPercent(5, 'en-AU')).toBe('5%');
  });
});
