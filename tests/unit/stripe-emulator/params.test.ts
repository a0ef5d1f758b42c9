import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, minimumAmount } from '../../../server/stripe-emulator/currency.js';
import { addInterval } from '../../../server/stripe-emulator/objects.js';
import { ApiError, canonical, type FormObject, type FormValue, parseForm } from '../../../server/stripe-emulator/params.js';

/** The encoding stripe-node uses (utils.stringifyRequestData, qs "indices" style), restated here. */
function stringify(data: Record<string, unknown>): string {
  const pairs: string[] = [];
  const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
  const walk = (key: string, v: unknown) => {
    if (v === undefined) return;
    if (v === null || typeof v !== 'object') return void pairs.push(`${enc(key)}=${enc(v === null ? '' : String(v))}`);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(`${key}[${i}]`, x));
    for (const [k, x] of Object.entries(v)) walk(`${key}[${k}]`, x);
  };
  for (const [k, v] of Object.entries(data)) walk(k, v);
  return pairs.join('&');
}

describe('parseForm', () => {
  it('parses the bracketed keys the SDK sends for a Checkout Session', () => {
    const body = stringify({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Gift & thanks = 100%' } } }],
      metadata: { gift_id: 'g-1' },
      expand: ['line_items', 'payment_intent'],
    });
    expect(parseForm(body)).toEqual({
      mode: 'payment',
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '500', product_data: { name: 'Gift & thanks = 100%' } } }],
      metadata: { gift_id: 'g-1' },
      expand: ['line_items', 'payment_intent'],
    });
  });

  it('accepts `x[]` appends, `+` as space, percent-encoded brackets and sorts array indices', () => {
    expect(parseForm('expand[]=a&expand[]=b')).toEqual({ expand: ['a', 'b'] });
    expect(parseForm('name=Ada+Lovelace')).toEqual({ name: 'Ada Lovelace' });
    expect(parseForm('metadata%5Bk%5D=v')).toEqual({ metadata: { k: 'v' } });
    expect(parseForm('a[1]=y&a[0]=x')).toEqual({ a: ['x', 'y'] });
    expect(parseForm('')).toEqual({});
  });

  it.each([
    ['a=1&a[b]=2'],
    ['a[b]=2&a=1'],
    ['a=1&a=2'],
    ['__proto__[x]=1'],
    ['a[constructor]=1'],
    ['a[b=1'],
    ['[a]=1'],
    ['a=%E0%A4%A'],
    ['a[1][2][3][4][5][6][7][8]=1'],
  ])('refuses %s with a 400', (body) => {
    expect(() => parseForm(body)).toThrow(ApiError);
  });

  it('does not pollute Object.prototype', () => {
    try {
      parseForm('__proto__[polluted]=yes');
    } catch {
      /* refused */
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('round-trips anything the SDK encoder can produce (strings, nested objects, arrays)', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((k) => !['constructor', 'prototype', '__proto__'].includes(k));
    const leaf = fc.string({ maxLength: 12 });
    const value: fc.Arbitrary<FormValue> = fc.letrec<{ v: FormValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('v'), { minLength: 1, maxLength: 3 }),
        fc.dictionary(key, tie('v'), { minKeys: 1, maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (data) => {
        const parsed = parseForm(stringify(data));
        expect(canonical(parsed)).toBe(canonical(data as FormObject));
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonical', () => {
  it('ignores key order but not array order', () => {
    expect(canonical({ a: '1', b: { c: '2', d: '3' } })).toBe(canonical({ b: { d: '3', c: '2' }, a: '1' }));
    expect(canonical({ a: ['1', '2'] })).not.toBe(canonical({ a: ['2', '1'] }));
  });
});

describe('currency facts', () => {
  it('formats minor units by Stripe decimals', () => {
    expect(formatAmount(2500, 'eur')).toBe('€25.00');
    expect(formatAmount(500, 'jpy')).toBe('¥500');
    expect(minimumAmount('huf')).toBe(17500);
    expect(minimumAmount('xyz')).toBeUndefined();
  });
});

describe('addInterval', () => {
  const t = (iso: string) => Date.parse(iso) / 1000;
  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(addInterval(t('2026-01-31T09:00:00Z'), 'month', 1)).toBe(t('2026-02-28T09:00:00Z'));
    expect(addInterval(t('2028-01-31T09:00:00Z'), 'month', 1)).toBe(t('2028-02-29T09:00:00Z'));
    expect(addInterval(t('2025-12-15T00:00:00Z'), 'month', 1)).toBe(t('2026-01-15T00:00:00Z'));
    expect(addInterval(t('2025-12-15T00:00:00Z'), 'year', 1)).toBe(t('2026-12-15T00:00:00Z'));
    expect(addInterval(t('2025-12-15T00:00:00Z'), 'week', 2)).toBe(t('2025-12-29T00:00:00Z'));
  });
});
