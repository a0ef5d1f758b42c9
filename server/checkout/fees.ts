import { MAX_AMOUNT, currencyInfo } from '../lib/currency.js';

/**
 * Cover-the-fees (STRIPE.md): charging c with a processor fee of rate*c + fixed leaves the
 * organisation c - rate*c - fixed; for that to be at least `amount`,
 * c = ceil((amount + fixed) / (1 - rate)). Done in integers (rate in ppm) so it never drifts.
 */
export function chargeForAmount(amount: number, feeRatePpm: number, feeFixed: number): number {
  if (feeRatePpm === 0 && feeFixed === 0) return amount;
  const numerator = BigInt(amount + feeFixed) * 1_000_000n;
  const denominator = BigInt(1_000_000 - feeRatePpm);
  return Number((numerator + denominator - 1n) / denominator);
}

export type AmountProblem = { code: 'amount_too_small' | 'amount_too_large'; message: string };

/** The donor's chosen amount and the amount actually charged must both fit Stripe's limits. */
export function checkAmount(amount: number, charge: number, currency: string): AmountProblem | null {
  const info = currencyInfo(currency);
  const min = info?.min ?? 50;
  if (amount < min) {
    return { code: 'amount_too_small', message: `The minimum gift is ${formatMinor(min, currency)}` };
  }
  if (amount > MAX_AMOUNT || charge > MAX_AMOUNT) {
    return { code: 'amount_too_large', message: `The maximum gift is ${formatMinor(MAX_AMOUNT, currency)}` };
  }
  return null;
}

export function formatMinor(amount: number, currency: string): string {
  const decimals = currencyInfo(currency)?.decimals ?? 2;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: decimals }).format(
    amount / 10 ** decimals,
  );
}
