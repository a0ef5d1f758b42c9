import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeForAmount, checkAmount } from '../../../server/checkout/fees.js';
import { CURRENCIES, MAX_AMOUNT } from '../../../server/lib/currency.js';
import { chargeWithFees, checkGiftAmount, feeRatePpm, formatMoney, minimumAmount, parseMoney } from '../../../web/lib/money.js';

describe('web/lib/money', () => {
  it('charges exactly what the server charges when covering fees (the public API gives the rate as a fraction)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_AMOUNT }), fc.integer({ min: 0, max: 500_000 }), fc.integer({ min: 0, max: 100_000 }), (amount, ppm, fixed) => {
        // The progress endpoint publishes fee_rate_ppm / 1e6; the chooser turns it back into ppm.
        expect(feeRatePpm(ppm / 1e6)).toBe(ppm);
        expect(chargeWithFees(amount, { rate: ppm / 1e6, fixed })).toBe(chargeForAmount(amount, ppm, fixed));
      }),
    );
    expect(chargeWithFees(2500, { rate: 0.029, fixed: 30 })).toBe(2606);
    expect(chargeWithFees(5000, { rate: 0.029, fixed: 30 })).toBe(5181);
  });

  it('refuses exactly what the server refuses', () => {
    for (const [currency, { min }] of Object.entries(CURRENCIES)) {
      expect(minimumAmount(currency)).toBe(min);
      for (const amount of [min - 1, min, MAX_AMOUNT, MAX_AMOUNT + 1]) {
        expect(checkGiftAmount(amount, amount, currency) === null).toBe(checkAmount(amount, amount, currency) === null);
      }
    }
    expect(checkGiftAmount(49, 49, 'USD')).toBe('The minimum gift is $0.50');
    expect(checkGiftAmount(MAX_AMOUNT - 10, MAX_AMOUNT + 5, 'USD')).toMatch(/maximum gift is \$999,999\.99/);
  });

  it('parses typed amounts into minor units without floating point', () => {
    const ok = (s: string, c = 'USD') => {
      const r = parseMoney(s, c);
      return r.ok ? r.amount : r.message;
    };
    expect(ok('25')).toBe(2500);
    expect(ok('$25.5')).toBe(2550);
    expect(ok('12.34')).toBe(1234);
    expect(ok('0.29')).toBe(29);
    expect(ok('1,000')).toBe(100000);
    expect(ok('1,000.01')).toBe(100001);
    expect(ok('1.000,50', 'EUR')).toBe(100050);
    expect(ok('25,50 €', 'EUR')).toBe(2550);
    expect(ok('500', 'JPY')).toBe(500);
    expect(ok('5.5', 'JPY')).toMatch(/no decimal places/);
    expect(ok('')).toMatch(/Enter an amount/);
    expect(ok('abc')).toMatch(/Enter an amount|as a number/);
    expect(ok('-5')).toMatch(/positive/);
    expect(ok('1e5')).toMatch(/as a number/);
    expect(ok('12.345')).toBe(1234500); // three digits after the separator: a thousands group
    expect(ok('9999999999999')).toMatch(/too large/);
  });

  it('formats with Intl.NumberFormat, whole amounts without cents unless exact', () => {
    expect(formatMoney(1234500, 'USD')).toBe('$12,345');
    expect(formatMoney(1234550, 'USD')).toBe('$12,345.50');
    expect(formatMoney(2500, 'USD', { exact: true })).toBe('$25.00');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(200000, 'EUR', { locale: 'de-DE' })).toMatch(/^2\.000\s€$/);
    expect(formatMoney(100, 'USD', { locale: 'not a locale!' })).toBe('$1');
  });
});
