import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spreadsheetSafe } from '../../../server/admin/csv.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, donate, signIn } from './helpers.js';

/** A minimal RFC 4180 reader, enough to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

describe('spreadsheetSafe', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    [null, ''],
    [12, '12'],
  ])('%j → %j', (input, out) => expect(spreadsheetSafe(input)).toBe(out));
});

describe.each(testDatabaseKinds())('admin donations API on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const slug = 'gifts';
  type Donated = { giftId: string; paymentIntent: string; subscription: string | null };
  const g = {} as Record<'ada' | 'bo' | 'cy' | 'di' | 'mo', Donated>;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    admin = await signIn(ctx);
    await makeCampaign(ctx.db, { slug });
    g.ada = await donate(ctx, slug, {
      amount: 2500,
      email: 'ada@example.org',
      name: 'Ada Lovelace',
      comment: '=HYPERLINK("http://evil.example","click")',
    });
    g.bo = await donate(ctx, slug, { amount: 4000, email: 'bo@example.org', name: '+Bo 100%' });
    g.cy = await donate(ctx, slug, { amount: 3000, email: 'cy@example.org', name: '@Cy, "the" donor' });
    g.di = await donate(ctx, slug, { amount: 6000, email: 'di@example.org', name: '-Di' });
    g.mo = await donate(ctx, slug, { amount: 1500, frequency: 'monthly', email: 'mo@example.org', name: 'Mo' });
    await ctx.emulator.renewSubscription(g.mo.subscription!, { paidAt: new Date('2026-12-04T09:00:00Z') });
    await ctx.emulator.refund(g.bo.paymentIntent, 1000);
    await ctx.emulator.refund(g.cy.paymentIntent);
    await ctx.emulator.dispute(g.di.paymentIntent);
    await ctx.emulator.flush();
    // a checkout that was started and abandoned is not a donation
    await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      body: JSON.stringify({ amount: 999, frequency: 'once' }),
      headers: { 'content-type': 'application/json' },
    });
  });
  afterAll(async () => ctx?.close());

  type Page = { campaign: { slug: string; title: string; currency: string }; donations: any[]; nextCursor: string | null };

  it('lists gifts newest first with a status that folds in refunds and disputes', async () => {
    const { campaign, donations, nextCursor } = await admin.json<Page>(`/campaigns/${slug}/donations`);
    // The page's heading comes with the rows (no dashboard read for it).
    const dashboard = await admin.json(`/campaigns/${slug}`);
    expect(campaign).toEqual({ slug, title: dashboard.title, currency: dashboard.currency });
    expect(nextCursor).toBeNull();
    expect(donations.map((d) => d.name)).toEqual(['Mo', '-Di', '@Cy, "the" donor', '+Bo 100%', 'Ada Lovelace']);
    expect(donations.map((d) => d.status)).toEqual(['paid', 'disputed', 'refunded', 'partially_refunded', 'paid']);
    expect(donations[0]).toMatchObject({ frequency: 'monthly', counted: 3000, payments: 2, stripe: { subscriptionId: g.mo.subscription } });
    expect(donations[3]).toMatchObject({
      amount: 4000,
      counted: 3000,
      refunded: 1000,
      source: 'stripe',
      stripe: { paymentIntentId: g.bo.paymentIntent },
    });
  });

  it('pages with a cursor without skipping or repeating a gift', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await admin.json<Page>(`/campaigns/${slug}/donations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.donations.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  it.each([
    ['q=ADA', ['Ada Lovelace']],
    ['q=bo%40example', ['+Bo 100%']],
    ['q=100%25', ['+Bo 100%']],
    ['q=%25', ['+Bo 100%']], // a literal %, not a wildcard
    ['status=refunded', ['@Cy, "the" donor']],
    ['status=partially_refunded', ['+Bo 100%']],
    ['status=disputed', ['-Di']],
    ['status=paid', ['Mo', 'Ada Lovelace']],
    ['status=pending', []],
    ['frequency=monthly', ['Mo']],
    ['source=offline', []],
    ['source=stripe&frequency=once&status=paid', ['Ada Lovelace']],
  ])('filters by %s', async (query, names) => {
    const { donations } = await admin.json<Page>(`/campaigns/${slug}/donations?${query}`);
    expect(donations.map((d) => d.name)).toEqual(names);
  });

  it('refuses unknown filters', async () => {
    const res = await admin.req(`/campaigns/${slug}/donations?status=lost`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'status' } });
    expect((await admin.req(`/campaigns/${slug}/donations?limit=5000`)).status).toBe(400);
  });

  it('shows one gift with its money movements, refunds, disputes and Stripe ids', async () => {
    const bo = await admin.json(`/donations/${g.bo.giftId}`);
    expect(bo).toMatchObject({
      id: g.bo.giftId,
      status: 'partially_refunded',
      campaign: { slug },
      stripe: { paymentIntentId: g.bo.paymentIntent },
    });
    expect(bo.stripe.checkoutSessionId).toMatch(/^cs_/);
    expect(bo.movements).toHaveLength(1);
    expect(bo.movements[0]).toMatchObject({
      kind: 'one_time',
      amount: 4000,
      paymentIntentId: g.bo.paymentIntent,
      counted: { raised: 3000, refunded: 1000 },
    });
    expect(bo.movements[0].refunds).toEqual([expect.objectContaining({ amountRefunded: 1000 })]);
    const di = await admin.json(`/donations/${g.di.giftId}`);
    expect(di.movements[0].disputes).toEqual([expect.objectContaining({ amount: 6000, status: 'needs_response' })]);
    const mo = await admin.json(`/donations/${g.mo.giftId}`);
    // chronological by when each was paid (this renewal's paid_at precedes the fake clock's checkout)
    expect(mo.movements.map((m: { kind: string; paidAt: string }) => [m.kind, m.paidAt])).toEqual([
      ['renewal', '2026-12-04T09:00:00.000Z'],
      ['first', '2026-12-05T10:00:00.000Z'],
    ]);
    expect((await admin.req(`/donations/${randomUUID()}`)).status).toBe(404);
    expect((await admin.req('/donations/not-a-uuid')).status).toBe(400);
  });

  it('exports the filtered set as spreadsheet-safe CSV', async () => {
    const res = await admin.req(`/campaigns/${slug}/donations.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${slug}-donations-2026-12-05.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM: Excel reads UTF-8
    const rows = parseCsv(new TextDecoder().decode(bytes));
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(['Gift ID', 'Created at', 'Received at', 'Status']);
    expect(rows).toHaveLength(6);
    const col = (name: string) => header.indexOf(name);
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    const ada = byId.get(g.ada.giftId)!;
    expect(ada[col('Comment')]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(ada[col('Amount')]).toBe('25.00');
    expect(byId.get(g.bo.giftId)![col('Name')]).toBe("'+Bo 100%");
    expect(byId.get(g.bo.giftId)![col('Refunded')]).toBe('10.00');
    expect(byId.get(g.cy.giftId)![col('Name')]).toBe(`'@Cy, "the" donor`);
    expect(byId.get(g.di.giftId)![col('Name')]).toBe("'-Di");
    expect(byId.get(g.di.giftId)![col('Status')]).toBe('disputed');
    // no cell a spreadsheet would run as a formula
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);

    const filtered = parseCsv(await (await admin.req(`/campaigns/${slug}/donations.csv?status=refunded`)).text());
    expect(filtered).toHaveLength(2);
    expect(filtered[1]![0]).toBe(g.cy.giftId);
  });

  it('records, corrects and voids offline gifts, with totals and the audit trail following', async () => {
    const progress = async () => {
      ctx.app.progressCache.invalidate(0);
      return (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { raised: number; donors: number; donations: number };
    };
    const before = await progress();
    const res = await admin.req(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 20_000, receivedAt: '2026-12-01', name: 'Parish council', note: 'Cheque #1042' },
    });
    expect(res.status).toBe(201);
    const gift = await res.json();
    expect(gift).toMatchObject({
      source: 'offline',
      status: 'paid',
      amount: 20_000,
      currency: 'USD',
      receivedAt: '2026-12-01T00:00:00.000Z',
      note: 'Cheque #1042',
      email: null,
    });
    expect(gift.movements).toEqual([expect.objectContaining({ kind: 'offline', amount: 20_000, sourceKey: `offline:${gift.id}` })]);
    expect(await progress()).toMatchObject({ raised: before.raised + 20_000, donors: before.donors + 1, donations: before.donations + 1 });

    const fixed = await admin.json(`/offline-donations/${gift.id}`, {
      method: 'PATCH',
      body: { amount: 25_000, email: 'ada@example.org' },
    });
    expect(fixed).toMatchObject({ amount: 25_000, email: 'ada@example.org' });
    // ada already gave: the cheque no longer adds a donor
    expect(await progress()).toMatchObject({ raised: before.raised + 25_000, donors: before.donors });

    const voided = await admin.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { voided: true } });
    expect(voided).toMatchObject({ status: 'voided', counted: 0 });
    expect(await progress()).toEqual(
      expect.objectContaining({ raised: before.raised, donors: before.donors, donations: before.donations }),
    );
    const { donations } = await admin.json<Page>(`/campaigns/${slug}/donations?source=offline&status=voided`);
    expect(donations.map((d) => d.id)).toEqual([gift.id]);

    const { entries } = await admin.json<{ entries: any[] }>(`/audit-log?entity=gift&entityId=${gift.id}`);
    expect(entries.map((e) => e.action)).toEqual(['offline_gift.void', 'offline_gift.update', 'offline_gift.create']);
    expect(entries[1]).toMatchObject({
      admin: 'ops@example.org',
      before: { amount: 20_000, email: null },
      after: { amount: 25_000, email: 'ada@example.org' },
    });
    expect(entries[0]).toMatchObject({ before: { voided: false }, after: { voided: true } });
    expect(entries[2].after).toMatchObject({ amount: 20_000, name: 'Parish council', note: 'Cheque #1042' });
  });

  it.each([
    [{ amount: 12.5, receivedAt: '2026-12-01' }, 'amount'],
    [{ amount: -100, receivedAt: '2026-12-01' }, 'amount'],
    [{ amount: '100', receivedAt: '2026-12-01' }, 'amount'],
    [{ amount: 100, receivedAt: 'yesterday' }, 'receivedAt'],
    [{ amount: 100 }, 'receivedAt'],
    [{ amount: 100, receivedAt: '2026-12-01', email: 'nope' }, 'email'],
    [{ amount: 100, receivedAt: '2026-12-01', name: 'x'.repeat(101) }, 'name'],
    [{ amount: 100, receivedAt: '2026-12-01', campaign: 'other' }, 'campaign'],
  ])('refuses an invalid offline gift (%#) naming %s, writing nothing', async (body, field) => {
    const count = async () => (await ctx.db.selectFrom('gifts').select('id').execute()).length;
    const n = await count();
    const res = await admin.req(`/campaigns/${slug}/offline-donations`, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    expect(await count()).toBe(n);
  });

  it('edits only offline gifts', async () => {
    expect((await admin.req(`/offline-donations/${g.ada.giftId}`, { method: 'PATCH', body: { amount: 1 } })).status).toBe(404);
    expect((await admin.req(`/offline-donations/${randomUUID()}`, { method: 'PATCH', body: { amount: 1 } })).status).toBe(404);
    const empty = await admin.req(`/offline-donations/${g.ada.giftId}`, { method: 'PATCH', body: {} });
    expect(empty.status).toBe(400);
  });

  it('streams a CSV larger than one batch', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'big' });
    const rows = Array.from({ length: 2345 }, (_, i) => ({
      id: randomUUID(),
      campaign_id: c.id,
      source: 'offline' as const,
      frequency: 'once' as const,
      currency: 'USD',
      amount: 100 + i,
      charge_amount: 100 + i,
      status: 'paid' as const,
      name: `Donor ${i}`,
      created_at: new Date(Date.UTC(2026, 11, 1) + Math.floor(i / 3) * 1000), // ties on created_at too
    }));
    for (let i = 0; i < rows.length; i += 500)
      await ctx.db
        .insertInto('gifts')
        .values(rows.slice(i, i + 500))
        .execute();
    const text = await (await admin.req('/campaigns/big/donations.csv')).text();
    const parsed = parseCsv(text);
    expect(parsed).toHaveLength(2346);
    expect(new Set(parsed.slice(1).map((r) => r[0])).size).toBe(2345);
  });
});

describe.each(testDatabaseKinds())('admin digest subscribers on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
    admin = await signIn(ctx);
    await ctx.db
      .insertInto('digest_subscribers')
      .values([
        {
          email: 'first@example.org',
          consented_at: '2026-12-01T08:00:00Z',
          created_at: '2026-12-01T08:00:00Z',
          source_ip: '192.0.2.1',
          status: 'confirmed',
          confirmed_at: '2026-12-01T09:00:00Z',
          source_page: 'https://news.example/digest',
        },
        {
          email: '=cmd@example.org',
          consented_at: '2026-12-02T08:00:00Z',
          created_at: '2026-12-02T08:00:00Z',
          source_ip: null,
          status: 'confirmed',
          confirmed_at: '2026-12-02T09:00:00Z',
        },
        // Double opt-in: neither an unconfirmed sign-up nor a former subscriber is a subscriber.
        {
          email: 'pending@example.org',
          consented_at: '2026-12-02T10:00:00Z',
          created_at: '2026-12-02T10:00:00Z',
          source_ip: null,
          status: 'pending',
        },
        {
          email: 'left@example.org',
          consented_at: '2026-12-02T11:00:00Z',
          created_at: '2026-12-02T11:00:00Z',
          source_ip: null,
          status: 'unsubscribed',
          confirmed_at: '2026-12-02T12:00:00Z',
        },
        {
          email: 'third@example.org',
          consented_at: '2026-12-03T08:00:00Z',
          created_at: '2026-12-03T08:00:00Z',
          source_ip: null,
          status: 'confirmed',
          confirmed_at: '2026-12-03T09:00:00Z',
        },
      ])
      .execute();
  });
  afterAll(async () => ctx?.close());

  it('lists subscribers newest first with paging', async () => {
    const p1 = await admin.json('/digest-subscribers?limit=2');
    expect(p1.total).toBe(3);
    expect(p1.subscribers.map((s: { email: string }) => s.email)).toEqual(['third@example.org', '=cmd@example.org']);
    expect(p1.nextCursor).toBeTruthy();
    const p2 = await admin.json(`/digest-subscribers?limit=2&cursor=${p1.nextCursor}`);
    expect(p2.subscribers).toEqual([
      {
        id: expect.any(Number),
        email: 'first@example.org',
        consentedAt: '2026-12-01T08:00:00.000Z',
        confirmedAt: '2026-12-01T09:00:00.000Z',
        createdAt: '2026-12-01T08:00:00.000Z',
        sourceIp: '192.0.2.1',
        sourcePage: 'https://news.example/digest',
      },
    ]);
    expect(p2.nextCursor).toBeNull();
  });

  it('exports them as spreadsheet-safe CSV', async () => {
    const res = await admin.req('/digest-subscribers.csv');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="digest-subscribers-2026-12-05.csv"');
    const rows = parseCsv(await res.text());
    expect(rows).toEqual([
      ['Email', 'Consented at', 'Confirmed at', 'Source page'],
      ['third@example.org', '2026-12-03T08:00:00.000Z', '2026-12-03T09:00:00.000Z', ''],
      ["'=cmd@example.org", '2026-12-02T08:00:00.000Z', '2026-12-02T09:00:00.000Z', ''],
      ['first@example.org', '2026-12-01T08:00:00.000Z', '2026-12-01T09:00:00.000Z', 'https://news.example/digest'],
    ]);
  });
});
