import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURRENCIES,
  MAX_AMOUNT,
  currencyDecimals,
  chargeForAmount,
  chargeWithFees,
  checkAmount,
  formatMoney,
  minimumAmount,
  parseMoney,
  parsePercent,
  parseRate,
  ppmToDecimal,
  ppmToPercent,
  toMajor,
} from '../../../common/money.js';

// FC_SEED=<n> replays a failing run; fast-check prints the seed and the path of any failure.
const fcParams = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {};

/** The fee as a reference computes it, in exact rationals (BigInt): net = c - c*ppm/1e6 - fixed. */
const netTimes1e6 = (c: number, ppm: number, fixed: number) =>
  BigInt(c) * 1_000_000n - BigInt(c) * BigInt(ppm) - BigInt(fixed) * 1_000_000n;

describe('cover-the-fees', () => {
  it('charges the smallest amount whose estimated fee leaves the chosen amount, never a cent more', () => {
    // $25 with 2.9 % + 30c: ceil((2500 + 30) / 0.971) = 2606
    expect(chargeForAmount(2500, 29_000, 30)).toBe(2606);
    expect(chargeForAmount(5000, 29_000, 30)).toBe(5181);
    expect(chargeForAmount(2500, 0, 0)).toBe(2500);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_AMOUNT }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (amount, ppm, fixed) => {
          const c = chargeForAmount(amount, ppm, fixed);
          const want = BigInt(amount) * 1_000_000n;
          expect(netTimes1e6(c, ppm, fixed) >= want).toBe(true);
          expect(netTimes1e6(c - 1, ppm, fixed) < want).toBe(true);
        },
      ),
      fcParams,
    );
  });

  it('gives the widget the server charge from the rate as the API publishes it (exact decimal text)', () => {
    expect(chargeWithFees(2500, { rate: '0.029', fixed: 30 })).toBe(2606);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_AMOUNT }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (amount, ppm, fixed) => {
          expect(chargeWithFees(amount, { rate: ppmToDecimal(ppm), fixed })).toBe(chargeForAmount(amount, ppm, fixed));
        },
      ),
      fcParams,
    );
    // A rate that is not an exact decimal adds nothing rather than a guess.
    expect(chargeWithFees(2500, { rate: 'NaN', fixed: 30 })).toBe(2500);
  });
});

describe('rates travel as exact decimals', () => {
  it('round-trips every ppm through its decimal text, as a fraction and as a percentage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (ppm) => {
        expect(parseRate(ppmToDecimal(ppm))).toEqual({ ok: true, ppm });
        expect(parsePercent(ppmToPercent(ppm))).toEqual({ ok: true, ppm });
        // A JSON number is read through its shortest decimal text: no float rounding.
        expect(parseRate(Number(ppmToDecimal(ppm)))).toEqual({ ok: true, ppm });
      }),
      fcParams,
    );
    expect(ppmToDecimal(29_000)).toBe('0.029');
    expect(ppmToPercent(29_000)).toBe('2.9');
    expect(ppmToDecimal(1_000_000)).toBe('1');
    expect(parsePercent('2,9')).toEqual({ ok: true, ppm: 29_000 });
    expect(parseRate(1e-6)).toEqual({ ok: true, ppm: 1 });
    // 0.1 + 0.2 is 0.30000000000000004 in floats: 17 decimals, refused rather than rounded.
    expect(parseRate(0.1 + 0.2).ok).toBe(false);
    for (const bad of ['-0.1', 'abc', '', '1e3', '0.0000001', '.', Number.NaN, Number.POSITIVE_INFINITY])
      expect(parseRate(bad).ok).toBe(false);
  });
});

describe('amount limits', () => {
  it('applies the per-currency minimum and the 8-digit maximum to the amount and the charge', () => {
    expect(checkAmount(49, 49, 'USD')?.code).toBe('amount_too_small');
    expect(checkAmount(50, 50, 'USD')).toBeNull();
    expect(checkAmount(29, 29, 'GBP')?.code).toBe('amount_too_small');
    expect(checkAmount(17_499, 17_499, 'HUF')?.code).toBe('amount_too_small');
    expect(checkAmount(99_999_999, 99_999_999, 'USD')).toBeNull();
    expect(checkAmount(99_999_999, 100_000_000, 'USD')?.code).toBe('amount_too_large');
    expect(checkAmount(49, 49, 'USD', 'en-US')?.message).toBe('The minimum gift is $0.50');
    expect(checkAmount(MAX_AMOUNT - 10, MAX_AMOUNT + 5, 'USD', 'en-US')?.message).toMatch(/maximum gift is \$999,999\.99/);
    for (const [currency, { min }] of Object.entries(CURRENCIES)) {
      expect(minimumAmount(currency)).toBe(min);
      expect(minimumAmount(currency.toLowerCase())).toBe(min);
      expect(checkAmount(min - 1, min - 1, currency)?.code).toBe('amount_too_small');
      expect(checkAmount(min, min, currency)).toBeNull();
    }
  });
});

describe('minor and major units', () => {
  it("gives each currency the table's decimals (currencyDecimals does without the table), 2 if unknown", () => {
    for (const [code, facts] of Object.entries(CURRENCIES)) {
      expect(currencyDecimals(code), code).toBe(facts.decimals);
      expect(currencyDecimals(code.toLowerCase()), code).toBe(facts.decimals);
    }
    expect(currencyDecimals('XYZ')).toBe(2);
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

  it('turns every amount into major-unit text and back to the same minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_AMOUNT }), fc.constantFrom(...Object.keys(CURRENCIES)), (amount, currency) => {
        expect(parseMoney(toMajor(amount, currency), currency)).toEqual({ ok: true, amount });
      }),
      fcParams,
    );
    expect(toMajor(2550, 'USD')).toBe('25.5');
    expect(toMajor(5, 'USD')).toBe('0.05');
    expect(toMajor(500, 'JPY')).toBe('500');
    expect(toMajor(2500, 'USD', { allDigits: true })).toBe('25.00');
    expect(toMajor(-5, 'USD', { allDigits: true })).toBe('-0.05');
    expect(toMajor(500, 'JPY', { allDigits: true })).toBe('500');
  });

  it('formats with Intl.NumberFormat, whole amounts without cents unless exact, never losing a cent', () => {
    expect(formatMoney(1234500, 'USD', { locale: 'en-US' })).toBe('$12,345');
    expect(formatMoney(1234550, 'USD', { locale: 'en-US' })).toBe('$12,345.50');
    expect(formatMoney(2500, 'USD', { locale: 'en-US', exact: true })).toBe('$25.00');
    expect(formatMoney(500, 'JPY', { locale: 'en-US' })).toBe('¥500');
    expect(formatMoney(200000, 'EUR', { locale: 'de-DE' })).toMatch(/^2\.000\s€$/);
    expect(formatMoney(100, 'USD', { locale: 'not a locale!' })).toBe('$1');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_AMOUNT * 100 }), (amount) => {
        const text = formatMoney(amount, 'USD', { locale: 'en-US', exact: true });
        expect(text.replace(/[$,]/g, '')).toBe(`${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`);
      }),
      fcParams,
    );
  });
});
