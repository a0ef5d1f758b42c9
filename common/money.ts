/**
 * Money for everyone: the server, the widget and the admin import this one module (STYLE 15), so
 * the amount the chooser shows is the amount the server charges and no rule exists twice.
 *
 * Amounts are integers in the currency's minor unit (STYLE 4). Rates (the processing fee, the
 * match ratio) are integers in parts per million: they are parsed from their decimal text digit by
 * digit and never pass through a float on their way into arithmetic. Formatting happens only at
 * the edge, with Intl.NumberFormat (or its text for the same amount, formatted ahead of time:
 * common/formatted.ts). It imports only that dependency-free file: it runs in Node and in the
 * browser bundles.
 *
 * (The Stripe emulator keeps its own table on purpose: it imports nothing from the app.)
 */

import { formattedOr } from './formatted.js';

export interface CurrencyFacts {
  /** Stripe's minimum charge in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
  min: number;
  /** Digits after the decimal point (the minor-unit exponent): 2 for USD, 0 for JPY. */
  decimals: number;
}

/** The currencies we accept. Currencies outside this list are refused rather than guessed. */
export const CURRENCIES: Readonly<Record<string, CurrencyFacts>> = {
  USD: { min: 50, decimals: 2 },
  EUR: { min: 50, decimals: 2 },
  GBP: { min: 30, decimals: 2 },
  CAD: { min: 50, decimals: 2 },
  AUD: { min: 50, decimals: 2 },
  NZD: { min: 50, decimals: 2 },
  CHF: { min: 50, decimals: 2 },
  SEK: { min: 300, decimals: 2 },
  NOK: { min: 300, decimals: 2 },
  DKK: { min: 250, decimals: 2 },
  PLN: { min: 200, decimals: 2 },
  CZK: { min: 1500, decimals: 2 },
  HUF: { min: 17500, decimals: 2 },
  JPY: { min: 50, decimals: 0 },
  MXN: { min: 1000, decimals: 2 },
  BRL: { min: 50, decimals: 2 },
  INR: { min: 50, decimals: 2 },
  SGD: { min: 50, decimals: 2 },
  HKD: { min: 400, decimals: 2 },
  ZAR: { min: 50, decimals: 2 },
};

/** The ISO codes of CURRENCIES, in the table's order (the admin's currency picker). */
export const CURRENCY_CODES: readonly string[] = /* @__PURE__ */ Object.keys(CURRENCIES);

/** Stripe's 8-digit limit on a single charge, in minor units, for every currency we accept. */
export const MAX_AMOUNT = 99_999_999;

/** Goals and match caps are totals, not charges: far above the charge limit, still exact numbers. */
export const MAX_TOTAL = 10_000_000_000_000;

export function currencyInfo(code: string): CurrencyFacts | undefined {
  return CURRENCIES[code.toUpperCase()];
}

export function isSupportedCurrency(code: string): boolean {
  return currencyInfo(code) !== undefined;
}

/**
 * Digits after the decimal point; 2 for a code we do not know (only ever used for display).
 * Written without the table (JPY is its one currency without minor units; a unit test holds the
 * two together), so the banner (embed.js) formats money without carrying the whole table.
 */
export function currencyDecimals(currency: string): number {
  return currency.toUpperCase() === 'JPY' ? 0 : 2;
}

/** Stripe's minimum charge for the currency (the server refuses less with amount_too_small). */
export function minimumAmount(currency: string): number {
  return currencyInfo(currency)?.min ?? 50;
}

// ---------------------------------------------------------------------------------------------
// Rates: exact decimals held as integer parts per million.

/** Parts per million: 2.9 % is 29_000 ppm, a 1:1 match is 1_000_000 ppm. */
export type Ppm = number;
export const PPM = 1_000_000;

export type RateResult = { ok: true; ppm: Ppm } | { ok: false; message: string };

/**
 * Reads a non-negative decimal ("0.029", "2.9", "1") exactly, scaled by 10^`shift` into ppm.
 * `shift` is 6 for a fraction (0.029 → 29_000) and 4 for a percentage (2.9 → 29_000). A JSON
 * number is read through its shortest decimal text (String(0.029) === "0.029"), which is exactly
 * what was written, so no float rounding ever reaches the integer.
 */
export function parseScaledDecimal(input: string | number, shift: number): RateResult {
  let s = typeof input === 'number' ? (Number.isFinite(input) ? String(input) : '') : input.trim().replace(',', '.');
  if (typeof input === 'number' && /e/i.test(s)) {
    // Tiny numbers print as "1e-7": expand the exponent in text, not by multiplying.
    const m = /^(\d)(?:\.(\d+))?e-(\d+)$/i.exec(s);
    if (!m) return { ok: false, message: 'must be a plain decimal number' };
    s = `0.${'0'.repeat(Number(m[3]) - 1)}${m[1]}${m[2] ?? ''}`;
  }
  const m = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/.exec(s);
  if (!m) return { ok: false, message: 'must be a non-negative decimal number' };
  const whole = m[1] ?? '0';
  const frac = (m[2] ?? m[3] ?? '').replace(/0+$/, '');
  if (frac.length > shift) return { ok: false, message: `has more than ${shift} decimals` };
  const digits = `${whole}${frac.padEnd(shift, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > 15) return { ok: false, message: 'is too large' };
  return { ok: true, ppm: Number(digits) };
}

/** A fraction as decimal text ("0.029") → ppm (29_000). */
export function parseRate(input: string | number): RateResult {
  return parseScaledDecimal(input, 6);
}

/** A percentage as typed ("2.9") → ppm of the whole (29_000). */
export function parsePercent(input: string | number): RateResult {
  return parseScaledDecimal(input, 4);
}

/** ppm → the exact decimal text of the fraction: 29_000 → "0.029", 1_000_000 → "1". */
export function ppmToDecimal(ppm: Ppm, shift = 6): string {
  if (!Number.isSafeInteger(ppm) || ppm < 0) throw new RangeError(`not a rate in ppm: ${ppm}`);
  const s = String(ppm).padStart(shift + 1, '0');
  const whole = s.slice(0, s.length - shift);
  const frac = s.slice(s.length - shift).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

/** ppm → a percentage's decimal text: 29_000 → "2.9". */
export function ppmToPercent(ppm: Ppm): string {
  return ppmToDecimal(ppm, 4);
}

// ---------------------------------------------------------------------------------------------
// Cover-the-fees and the amount rules.

/**
 * What to charge so that a processor fee of rate*c + fixed would leave at least `amount`:
 * c = ceil((amount + fixed) / (1 - rate)), in integers (rate in ppm) so it never drifts. This is
 * an estimate of the usual card fee, shown to the donor as help toward the fees, never as a
 * promise of what the organisation nets (international cards, conversion, bank debits and refunds
 * cost more; SPEC §5).
 */
export function chargeForAmount(amount: number, feeRatePpm: Ppm, feeFixed: number): number {
  if (feeRatePpm === 0 && feeFixed === 0) return amount;
  if (feeRatePpm < 0 || feeRatePpm >= PPM) throw new RangeError(`fee rate out of range: ${feeRatePpm} ppm`);
  const numerator = BigInt(amount + feeFixed) * BigInt(PPM);
  const denominator = BigInt(PPM - feeRatePpm);
  return Number((numerator + denominator - 1n) / denominator);
}

/**
 * The charge for `amount` with fees covered, from the API's `fees` ({rate: "0.029", fixed: 30}):
 * the widget's side of the same integers the server charges. A rate that is not an exact decimal
 * covers nothing rather than guessing.
 */
export function chargeWithFees(amount: number, fees: { rate: string; fixed: number }): number {
  const r = parseRate(fees.rate);
  return r.ok && r.ppm < PPM ? chargeForAmount(amount, r.ppm, fees.fixed) : amount;
}

export type AmountProblem = { code: 'amount_too_small' | 'amount_too_large'; message: string };

/** The donor's chosen amount and the amount actually charged must both fit Stripe's limits. */
export function checkAmount(amount: number, charge: number, currency: string, locale?: string): AmountProblem | null {
  const min = minimumAmount(currency);
  if (amount < min) {
    return { code: 'amount_too_small', message: `The minimum gift is ${formatMoney(min, currency, { locale, exact: true })}` };
  }
  if (amount > MAX_AMOUNT || charge > MAX_AMOUNT) {
    return { code: 'amount_too_large', message: `The maximum gift is ${formatMoney(MAX_AMOUNT, currency, { locale, exact: true })}` };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Minor ↔ major units and formatting.

const formatters = new Map<string, Intl.NumberFormat>();

/** 123456 USD → "$1,234.56"; whole amounts drop the cents ("$50") unless `exact`. */
export function formatMoney(amount: number, currency: string, opts: { locale?: string; exact?: boolean } = {}): string {
  const decimals = currencyDecimals(currency);
  const whole = amount % 10 ** decimals === 0;
  const digits = whole && !opts.exact ? 0 : decimals;
  const key = `${opts.locale ?? ''}|${currency}|${digits}`;
  // The key names all the text depends on, the integer amount included (common/formatted.ts).
  return formattedOr(opts.locale, `m|${currency}|${digits}|${amount}`, () => {
    let f = formatters.get(key);
    if (!f) {
      const o = { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits } as const;
      try {
        f = new Intl.NumberFormat(opts.locale, o);
      } catch {
        // An unknown locale tag from a data-locale attribute must not break the banner.
        f = new Intl.NumberFormat('en-US', o);
      }
      formatters.set(key, f);
    }
    // Intl formats decimal strings exactly (ES2023), so no division ever rounds a cent away.
    return f.format(toMajor(amount, currency) as `${number}`);
  });
}

/**
 * Minor units → the major amount as exact decimal text: 2550 USD → "25.5" (trailing zeros
 * dropped, for a form field) or, with `allDigits`, "25.50" (for spreadsheets).
 */
export function toMajor(amount: number, currency: string, opts: { allDigits?: boolean } = {}): string {
  const decimals = currencyDecimals(currency);
  const neg = amount < 0;
  const s = String(Math.abs(amount)).padStart(decimals + 1, '0');
  const whole = s.slice(0, s.length - decimals);
  const digits = s.slice(s.length - decimals);
  const frac = opts.allDigits ? digits : digits.replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export type ParseResult = { ok: true; amount: number } | { ok: false; message: string };

/**
 * Parses what a person typed ("25", "25.5", "1,000.00", "25,50" in comma-decimal locales) into
 * minor units without going through floating point. Refuses more decimals than the currency has.
 */
export function parseMoney(input: string, currency: string): ParseResult {
  const decimals = currencyDecimals(currency);
  if (/-/.test(input)) return { ok: false, message: 'Enter a positive amount' };
  let s = input
    .trim()
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/^[^\d.,]+|[^\d.,]+$/g, '');
  if (s === '') return { ok: false, message: 'Enter an amount' };
  if (!/^[\d.,]+$/.test(s)) return { ok: false, message: 'Enter the amount as a number, like 25 or 25.50' };
  // The last separator followed by 1–2 digits is the decimal point; the others group thousands.
  const m = /^(.*?)[.,](\d{1,2})$/.exec(s);
  let intPart = s;
  let frac = '';
  if (m && decimals > 0) {
    intPart = m[1] ?? '';
    frac = m[2] ?? '';
  } else if (/[.,]\d{1,2}$/.test(s) && decimals === 0) {
    return { ok: false, message: `${currency} amounts have no decimal places` };
  }
  if (intPart !== '' && !/^\d{1,3}([.,]?\d{3})*$|^\d+$/.test(intPart)) {
    return { ok: false, message: 'Enter the amount as a number, like 25 or 25.50' };
  }
  s = intPart.replace(/[.,]/g, '');
  if (s.length > 12) return { ok: false, message: 'That amount is too large' };
  const amount = Number(`${s}${frac.padEnd(decimals, '0')}` || '0');
  if (!Number.isSafeInteger(amount)) return { ok: false, message: 'That amount is too large' };
  return { ok: true, amount };
}
