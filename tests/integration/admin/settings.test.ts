import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromZonedInput } from '../../../common/time.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, signIn } from './helpers.js';

const CAMPAIGN = {
  title: 'Year end',
  headline: 'Keep independent media alive',
  message: '',
  currency: 'USD',
  goal: 500_000,
  presets: [1000, 2500],
};

type Daily = { date: string; amount: number; donations: number }[];

describe.each(testDatabaseKinds())("the organisation's settings and time zone on %s", (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { ORG_NAME: 'The Riverside Ledger', ORG_TIMEZONE: 'America/New_York', CHECKOUT_RATE_LIMIT: '1000' },
    });
    admin = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());

  it('starts from the ORG_* environment defaults and needs a session', async () => {
    expect(await admin.json('/settings')).toEqual({
      name: 'The Riverside Ledger',
      address: '',
      timeZone: 'America/New_York',
      taxId: '',
      taxStatus: 'unset',
      sponsorName: '',
      sponsorTaxId: '',
      taxTexts: {},
      footer: '',
      logoUrl: '',
    });
    const anon = await ctx.app.request('/api/admin/settings');
    expect(anon.status).toBe(401);
    const anonPatch = await ctx.app.request('/api/admin/settings', {
      method: 'PATCH',
      body: '{"timeZone":"UTC"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(anonPatch.status).toBe(401);
  });

  it.each([
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    [{ timeZone: '+02:00' }, 'timeZone'],
    [{ timeZone: 5 }, 'timeZone'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ taxId: 'EIN\u202E12' }, 'taxId'],
    [{ currency: 'USD' }, 'currency'],
  ])('refuses %j with 400 on the field and writes nothing', async (body, field) => {
    const res = await admin.req('/settings', { method: 'PATCH', body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    expect(await ctx.db.selectFrom('organisation').selectAll().execute()).toHaveLength(0);
  });

  it('saves a zone in its canonical spelling, keeps the other fields, and audits the change', async () => {
    const saved = await admin.json('/settings', {
      method: 'PATCH',
      body: { timeZone: 'europe/berlin', address: '1 River St\nSpringfield', taxId: '12-3456789' },
    });
    expect(saved).toEqual({
      name: 'The Riverside Ledger',
      address: '1 River St\nSpringfield',
      timeZone: 'Europe/Berlin',
      taxId: '12-3456789',
      taxStatus: 'unset',
      sponsorName: '',
      sponsorTaxId: '',
      taxTexts: {},
      footer: '',
      logoUrl: '',
    });
    expect(await admin.json('/settings')).toEqual(saved);
    const { entries } = await admin.json<{
      entries: { action: string; entity: string; before: { timeZone: string }; after: { timeZone: string } }[];
    }>('/audit-log');
    expect(entries[0]).toMatchObject({
      action: 'organisation.update',
      entity: 'organisation',
      before: { timeZone: 'America/New_York' },
      after: { timeZone: 'Europe/Berlin' },
    });
    // An empty value goes back to the environment default.
    expect(await admin.json('/settings', { method: 'PATCH', body: { timeZone: '' } })).toMatchObject({
      timeZone: 'America/New_York',
      taxId: '12-3456789',
    });
  });

  it('ends a campaign meant to end at midnight on December 31 in New York at 05:00 UTC', async () => {
    const zone = (await admin.json<{ timeZone: string }>('/settings')).timeZone;
    expect(zone).toBe('America/New_York');
    // What the campaign form sends for "2027-01-01 00:00" typed in the organisation's zone.
    const endsAt = fromZonedInput('2027-01-01T00:00', zone);
    const created = await admin.json('/campaigns', {
      method: 'POST',
      body: { ...CAMPAIGN, slug: 'nye', startsAt: fromZonedInput('2026-12-01T00:00', zone), endsAt },
    });
    expect(created).toMatchObject({ startsAt: '2026-12-01T05:00:00.000Z', endsAt: '2027-01-01T05:00:00.000Z' });
    const status = async (at: string) => {
      ctx.clock.set(at);
      ctx.app.progressCache.invalidate(0);
      return ((await (await ctx.app.request('/api/campaigns/nye')).json()) as { status: string }).status;
    };
    expect(await status('2027-01-01T04:59:59.999Z')).toBe('open'); // 23:59:59 on Dec 31 in New York
    expect(await status('2027-01-01T05:00:00.000Z')).toBe('ended');
    ctx.clock.set('2026-12-05T10:00:00Z');
  });

  it("groups the daily chart by the organisation's calendar days, across midnight and the end of summer time", async () => {
    await admin.json('/campaigns', {
      method: 'POST',
      body: { ...CAMPAIGN, slug: 'days', startsAt: '2026-10-30T00:00:00Z', endsAt: '2027-01-01T05:00:00Z' },
    });
    const gift = (amount: number, receivedAt: string) =>
      admin.json('/campaigns/days/offline-donations', { method: 'POST', body: { amount, receivedAt } });
    await gift(100, '2026-11-01T03:59:00Z'); // Oct 31, 23:59 EDT
    await gift(200, '2026-11-01T04:00:00Z'); // Nov 1, 00:00 EDT (clocks go back at 06:00 UTC that day)
    await gift(400, '2026-11-02T04:59:00Z'); // Nov 1, 23:59 EST
    await gift(800, '2026-11-02T05:00:00Z'); // Nov 2, 00:00 EST
    await gift(1600, '2026-12-01T04:30:00Z'); // Nov 30, 23:30 EST
    await gift(3200, '2026-12-01T05:30:00Z'); // Dec 1, 00:30 EST
    // A cheque dated Nov 15 (a calendar date, no time) is a Nov 15 gift in New York, not Nov 14.
    const cheque = await gift(6400, '2026-11-15');
    expect(cheque).toMatchObject({ receivedAt: '2026-11-15T05:00:00.000Z' });

    const ny = await admin.json<{ daily: Daily; raised: number }>('/campaigns/days');
    const day = (d: Daily, date: string) => d.find((p) => p.date === date);
    expect(ny.daily[0]!.date).toBe('2026-10-29'); // Oct 30 00:00 UTC is Oct 29 in New York
    expect(ny.daily.at(-1)!.date).toBe('2026-12-05');
    expect(day(ny.daily, '2026-10-31')).toMatchObject({ amount: 100, donations: 1 });
    expect(day(ny.daily, '2026-11-01')).toMatchObject({ amount: 600, donations: 2 });
    expect(day(ny.daily, '2026-11-02')).toMatchObject({ amount: 800, donations: 1 });
    expect(day(ny.daily, '2026-11-30')).toMatchObject({ amount: 1600, donations: 1 });
    expect(day(ny.daily, '2026-12-01')).toMatchObject({ amount: 3200, donations: 1 });
    expect(day(ny.daily, '2026-11-15')).toMatchObject({ amount: 6400, donations: 1 });
    expect(ny.daily.reduce((s, p) => s + p.amount, 0)).toBe(ny.raised);
    // Every calendar day once, in order, none skipped or doubled by the DST change.
    const dates = ny.daily.map((p) => p.date);
    expect(new Set(dates).size).toBe(dates.length);
    expect(dates).toEqual([...dates].sort());
    expect(dates).toHaveLength(38); // Oct 29 .. Dec 5

    // The same payments in an organisation on UTC fall on UTC days.
    await admin.json('/settings', { method: 'PATCH', body: { timeZone: 'UTC' } });
    const utc = await admin.json<{ daily: Daily }>('/campaigns/days');
    expect(day(utc.daily, '2026-11-01')).toMatchObject({ amount: 300, donations: 2 });
    expect(day(utc.daily, '2026-11-02')).toMatchObject({ amount: 1200, donations: 2 });
    expect(day(utc.daily, '2026-11-30')).toMatchObject({ amount: 0 });
    expect(day(utc.daily, '2026-12-01')).toMatchObject({ amount: 4800, donations: 2 });
    await admin.json('/settings', { method: 'PATCH', body: { timeZone: '' } });
  });

  it('ends the chart on the last day of a half-open window: a campaign ending at midnight has no day after', async () => {
    ctx.clock.set('2027-02-01T00:00:00Z');
    const later = await signIn(ctx); // the morning session has expired by February
    const nye = await later.json<{ daily: Daily }>('/campaigns/nye');
    expect(nye.daily.at(-1)!.date).toBe('2026-12-31');
    expect(nye.daily[0]!.date).toBe('2026-12-01');
    ctx.clock.set('2026-12-05T10:00:00Z');
  });
});
