/**
 * Money on the client: integer minor units beside a currency, formatted only at the edge with
 * Intl.NumberFormat (STYLE §4). The fee and minimum rules are the server's own modules, imported
 * rather than copied, so the amount the chooser shows is the amount the server charges.
 */
import { chargeForAmount } from '../../server/checkout/fees.js';
import { CURRENCIES, MAX_AMOUNT } from '../../server/lib/currency.js';

export { chargeForAmount, MAX_AMOUNT };

export function currencyDecimals(currency: string): number {
  return CURRENCIES[currency.toUpperCase()]?.decimals ?? 2;
}

/** Stripe's minimum charge for the currency (the server refuses less with amount_too_small). */
export function minimumAmount(currency: string): number {
  return CURRENCIES[currency.toUpperCase()]?.min ?? 50;
}

/** The public API gives the fee rate as a fraction (0.029); the server computes in ppm. */
export function feeRatePpm(rate: number): number {
  return Math.round(rate * 1_000_000);
}

/** What the donor is charged for `amount` when covering the fees (same integers as the server). */
export function chargeWithFees(amount: number, fees: { rate: number; fixed: number }): number {
  return chargeForAmount(amount, feeRatePpm(fees.rate), fees.fixed);
}

const formatters = new Map<string, Intl.NumberFormat>();

/** 123456 USD → "$1,234.56"; whole amounts drop the cents ("$50") unless `exact`. */
export function formatMoney(amount: number, currency: string, opts: { locale?: string; exact?: boolean } = {}): string {
  const decimals = currencyDecimals(currency);
  const whole = amount % 10 ** decimals === 0;
  const digits = whole && !opts.exact ? 0 : decimals;
  const key = `${opts.locale ?? ''}|${currency}|${digits}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(opts.locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch {
      // An unknown locale tag from a data-locale attribute must not break the banner.
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    formatters.set(key, f);
  }
  return f.format(amount / 10 ** decimals);
}

export type ParseResult = { ok: true; amount: number } | { ok: false; message: string };

/**
 * Parses what a person typed ("25", "25.5", "1,000.00", "25,50" in comma-decimal locales) into
 * minor units without going through floating point. Refuses more decimals than the currency has.
 */
export function parseMoney(input: string, currency: string): ParseResult {
  const decimals = currencyDecimals(currency);
  if (/-/.test(input)) return { ok: false, message: 'Enter a positive amount' };
  let s = input.trim().replace(/[\s\u00a0\u202f]/g, '').replace(/^[^\d.,]+|[^\d.,]+$/g, '');
  if (s === '') return { ok: false, message: 'Enter an amount' };
  if (!/^[\d.,]+$/.test(s)) return { ok: false, message: 'Enter the amount as a number, like 25 or 25.50' };
  // The last separator followed by 1–2 digits (or up to `decimals`) is the decimal point; others group.
  const m = /^(.*?)[.,](\d{1,2})$/.exec(s);
  let intPart = s;
  let frac = '';
  if (m && decimals > 0) {
    intPart = m[1]!;
    frac = m[2]!;
  } else if (/[.,]\d{1,2}$/.test(s) && decimals === 0) {
    return { ok: false, message: `${currency} amounts have no decimal places` };
  }
  if (intPart !== '' && !/^\d{1,3}([.,]?\d{3})*$|^\d+$/.test(intPart)) {
    return { ok: false, message: 'Enter the amount as a number, like 25 or 25.50' };
  }
  s = intPart.replace(/[.,]/g, '');
  if (s.length > 12) return { ok: false, message: 'That amount is too large' };
  const amount = Number(s || '0') * 10 ** decimals + Number(frac.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(amount)) return { ok: false, message: 'That amount is too large' };
  return { ok: true, amount };
}

/** The server's amount rule (server/checkout/fees.ts checkAmount), in words for the chooser. */
export function checkGiftAmount(amount: number, charge: number, currency: string, locale?: string): string | null {
  const min = minimumAmount(currency);
  if (amount < min) return `The minimum gift is ${formatMoney(min, currency, { locale })}`;
  if (amount > MAX_AMOUNT || charge > MAX_AMOUNT) return `The maximum gift is ${formatMoney(MAX_AMOUNT, currency, { locale, exact: true })}`;
  return null;
}
