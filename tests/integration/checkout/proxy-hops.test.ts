import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';

describe('TRUST_PROXY', () => {
  it.each([
    ['false', 0],
    ['', 0],
    ['0', 0],
    ['true', 1],
    ['1', 1],
    ['2', 2],
    [' 3 ', 3],
  ])('%j means %i hops', (v, hops) => expect(loadConfig({ TRUST_PROXY: v }).trustProxy).toBe(hops));
  it.each(['yes', '-1', '2.5', '99'])('%j stops start-up with the variable named', (v) => {
    expect(() => loadConfig({ TRUST_PROXY: v })).toThrow(/TRUST_PROXY/);
  });
});

describe.each(testDatabaseKinds())('behind two proxies (TRUST_PROXY=2) on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '2', TRUST_PROXY: '2' } });
    await makeCampaign(ctx.db, { slug: 'year-end' });
  });
  afterAll(async () => ctx?.close());

  // The outer proxy (a CDN) appends the donor's address; the inner one (the load balancer)
  // appends the CDN edge's. A bot may send any X-Forwarded-For of its own to the CDN.
  const checkout = (xff: string) =>
    ctx.app.request('/api/campaigns/year-end/checkout', {
      method: 'POST',
      body: JSON.stringify({ amount: 1000, frequency: 'once' }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
    });

  it('gives distinct donors behind the same edge distinct buckets', async () => {
    const statuses: number[] = [];
    for (const donor of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']) {
      statuses.push((await checkout(`${donor}, 192.0.2.10`)).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201]);
  });

  it('ignores spoofed left-most entries', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await checkout(`10.9.9.${i}, 203.0.113.7, 192.0.2.10`)).status);
    expect(statuses).toEqual([201, 201, 429, 429]);
  });
});
