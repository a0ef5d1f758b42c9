/**
 * Stripe's own currency facts, kept apart from the app's common/money.ts on purpose: the
 * emulator stands in for Stripe, so if the app's table drifts from Stripe's the emulator should
 * refuse the amount the way Stripe would, not agree with the app.
 * Source: https://docs.stripe.com/currencies (minimum charge amounts; zero-decimal currencies).
 * HUF is charged in two-decimal units (fillér) although it settles in whole forints, so its
 * minimum of 175.00 Ft is 17500.
 */
const MINIMUMS: Record<string, number> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
  zar: 50,
};

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Stripe's 8-digit ceiling on any single amount. */
export const MAX_AMOUNT = 99_999_999;

/**
 * The minimum in minor units, or undefined for a currency we do not know. Stripe converts other
 * currencies to roughly USD 0.50 at the day's rate; the emulator cannot, so it refuses them
 * rather than invent a figure.
 */
export function minimumAmount(currency: string): number | undefined {
  return MINIMUMS[currency];
}

export function formatAmount(amount: number, currency: string): string {
  const digits = ZERO_DECIMAL.has(currency) ? 0 : 2;
  try {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency.toUpperCase()} (minor units)`;
  }
}
