/**
 * Currency facts for amounts in minor units. Minimums are Stripe's per-currency minimum charge
 * (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); the maximum is
 * Stripe's 8-digit limit. Currencies outside this list are refused rather than guessed.
 */
export const CURRENCIES: Record<string, { min: number; decimals: number }> = {
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

export const MAX_AMOUNT = 99_999_999;

export function currencyInfo(code: string) {
  return CURRENCIES[code.toUpperCase()];
}

export function isSupportedCurrency(code: string): boolean {
  return currencyInfo(code) !== undefined;
}
