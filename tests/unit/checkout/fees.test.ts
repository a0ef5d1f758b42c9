import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeForAmount, checkAmount } from '../../../server/checkout/fees.js';

describe('cover-the-fees', () => {
  it('charges enough that the organisation nets the chosen amount, and not a cent more', () => {
    // $25 with 2.9 % + 30c: ceil((2500 + 30) / 0.971) = 2606
    expect(chargeForAmount(2500, 29_000, 30)).toBe(2606);
    expect(chargeForAmount(2500, 0, 0)).toBe(2500);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1000 }), (amount, ratePpm, fixed) => {
        const c = chargeForAmount(amount, ratePpm, fixed);
        const net = (n: number) => n - (n * ratePpm) / 1e6 - fixed;
        expect(net(c)).toBeGreaterThanOrEqual(amount - 1e-9);
        expect(net(c - 1)).toBeLessThan(amount);
      }),
    );
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
    expect(checkAmount(49, 49, 'USD')?.message).toBe('The minimum gift is $0.50');
  });
});
