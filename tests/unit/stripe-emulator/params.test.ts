import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, minimumAmount } from '../../../server/stripe-emulator/currency.js';
import { addInterval } from '../../../server/stripe-emulator/objects.js';
import { createStripeEmulator } from '../../../server/stripe-emulator/index.js';
import {
  ApiError,
  canonical,
  type FormObject,
  type FormValue,
  MAX_DEPTH,
  MAX_PAIRS,
  parseForm,
} from '../../../server/stripe-emulator/params.js';
import { runs } from '../../helpers/property.js';

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

  it("round-trips anything the SDK encoder can produce within the parser's documented limits", () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((k) => !['constructor', 'prototype', '__proto__'].includes(k));
    const leaf = fc.string({ maxLength: 12 });
    // A value whose keys add at most `levels` segments below its own key (MAX_DEPTH in all).
    const within = (levels: number): fc.Arbitrary<FormValue> => {
      if (levels === 0) return leaf;
      const inner = within(levels - 1);
      return fc.oneof(
        { arbitrary: leaf, weight: 3 },
        { arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }), weight: 1 },
        { arbitrary: fc.dictionary(key, inner, { minKeys: 1, maxKeys: 3 }), weight: 1 },
      );
    };
    const pairs = (v: FormValue): number => (typeof v === 'string' ? 1 : Object.values(v).reduce<number>((n, x) => n + pairs(x), 0));
    const body = fc.dictionary(key, within(MAX_DEPTH - 1), { maxKeys: 4 }).filter((data) => pairs(data) <= MAX_PAIRS);
    fc.assert(
      fc.property(body, (data) => {
        const parsed = parseForm(stringify(data));
        expect(canonical(parsed)).toBe(canonical(data as FormObject));
      }),
      { numRuns: runs(300) },
    );
  });

  it(`accepts keys of ${MAX_DEPTH} segments (Stripe's deepest parameter) and refuses deeper ones with a 400`, async () => {
    // The deepest v1 parameter in stripe-node 23's request types (see MAX_DEPTH in params.ts).
    const deepest = 'schedule_details[pause_schedules][0][pause][settings][bill_for][outstanding_usage_through][type]';
    expect(parseForm(`${deepest}=now`)).toEqual({
      schedule_details: { pause_schedules: [{ pause: { settings: { bill_for: { outstanding_usage_through: { type: 'now' } } } } }] },
    });
    const segments = (n: number) => `a${'[b]'.repeat(n - 1)}`;
    expect(() => parseForm(`${segments(MAX_DEPTH)}=1`)).not.toThrow();
    for (const n of [MAX_DEPTH + 1, MAX_DEPTH + 50]) {
      let err: unknown;
      try {
        parseForm(`${segments(n)}=1`);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', message: expect.stringContaining('nested too deeply') });
    }

    // Through the emulator's HTTP API, as the SDK would meet it: a 400 in Stripe's error shape.
    const emulator = createStripeEmulator({
      webhookSecret: 'whsec_x',
      publicUrl: 'http://localhost:3999',
      retryDelaysMs: [],
      deliver: async () => ({ status: 200 }),
      admin: async () => null,
    });
    try {
      const res = await emulator.fetch(
        new Request('https://api.stripe.com/v1/checkout/sessions', {
          method: 'POST',
          headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `mode=payment&metadata${'[x]'.repeat(MAX_DEPTH)}=1`,
        }),
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { type: 'invalid_request_error', message: expect.stringContaining('nested too deeply') },
      });
    } finally {
      emulator.close();
    }
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
