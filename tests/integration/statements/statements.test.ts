import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptNumber } from '../../../server/mail/receipts.js';
import { manageLinkFor } from '../../../server/manage/links.js';
import { statementLink } from '../../../server/statements/links.js';
import { statementFor, statementYears } from '../../../server/statements/service.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { pdfText } from '../../helpers/pdf.js';
import { donate, signIn } from '../admin/helpers.js';
import { openCampaigns, paidGift } from './helpers.js';

describe.each(testDatabaseKinds())('annual giving statements on %s', (kind) => {
  let ctx: TestContext;
  const clock = fakeClock('2027-01-10T15:00:00Z');
  let receipt: number;

  beforeAll(async () => {
    // New York: the year ends at 05:00 UTC on 1 January.
    ctx = await createTestContext(kind, {
      clock,
      env: {
        ORG_TIMEZONE: 'America/New_York',
        ORG_NAME: 'The Riverside Ledger',
        ORG_ADDRESS: '12 Mill Road, Riverside',
        ORG_TAX_ID: '12-3456789',
      },
    });
    const { usd, eur } = await openCampaigns(ctx);
    const ada = 'Ada@Example.org';
    // 22:00 on 31 December 2025 in New York: last year's, though it is 2026 in UTC.
    await paidGift(ctx, usd, { email: ada, amount: 10_000, paidAt: '2026-01-01T03:00:00Z' });
    const march = await paidGift(ctx, usd, { email: ada, amount: 5_000, paidAt: '2026-03-10T12:00:00Z', refunded: 1_500 });
    receipt = await receiptNumber(ctx.db, march.paymentId, clock());
    await paidGift(ctx, usd, { email: 'ada@example.org', amount: 3_000, paidAt: '2026-05-05T12:00:00Z', refunded: 3_000 });
    await paidGift(ctx, eur, { email: ada, amount: 7_000, paidAt: '2026-07-01T12:00:00Z' });
    // 23:30 on 31 December 2026 in New York: this year's, though it is 2027 in UTC.
    await paidGift(ctx, usd, { email: ada, amount: 2_500, paidAt: '2027-01-01T04:30:00Z' });
    // 00:30 on 1 January 2027 in New York.
    await paidGift(ctx, usd, { email: ada, amount: 4_000, paidAt: '2027-01-01T05:30:00Z' });
    await paidGift(ctx, usd, { email: 'bob@example.org', amount: 1_000, paidAt: '2026-06-01T12:00:00Z' });
  });
  afterAll(async () => ctx?.close());

  it('lists the year of the organisation’s time zone, net of refunds, with totals per currency', async () => {
    const s = await statementFor(ctx.db, ctx.config, 'ADA@example.org', 2026);
    expect(s.lines.map((l) => [l.currency, l.amount, l.returned, l.net])).toEqual([
      ['USD', 5_000, 1_500, 3_500],
      ['USD', 3_000, 3_000, 0],
      ['EUR', 7_000, 0, 7_000],
      ['USD', 2_500, 0, 2_500],
    ]);
    expect(s.lines[0]!.receiptNumber).toBe(receipt);
    expect(s.totals).toEqual([
      { currency: 'EUR', amount: 7_000, returned: 0, net: 7_000, payments: 1 },
      { currency: 'USD', amount: 10_500, returned: 4_500, net: 6_000, payments: 3 },
    ]);
    expect((await statementFor(ctx.db, ctx.config, 'ada@example.org', 2025)).totals).toEqual([
      { currency: 'USD', amount: 10_000, returned: 0, net: 10_000, payments: 1 },
    ]);
    expect((await statementFor(ctx.db, ctx.config, 'ada@example.org', 2027)).totals).toEqual([
      { currency: 'USD', amount: 4_000, returned: 0, net: 4_000, payments: 1 },
    ]);
    expect(await statementYears(ctx.db, ctx.config, 'ada@example.org')).toEqual([2027, 2026, 2025]);
  });

  it('serves the PDF from a signed link, and its text says what the donor gave', async () => {
    const url = await statementLink(ctx.db, ctx.config, { email: 'ada@example.org', year: 2026, now: clock() });
    expect(url).toMatch(/^http:\/\/groundswell\.test\/statements\/s1\.2026\./);
    expect(url.toLowerCase()).not.toContain('ada');
    const res = await ctx.app.request(new URL(url).pathname);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('cache-control')).toContain('no-store');
    const [text, ...more] = await pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(more).toEqual([]);
    for (const s of [
      'The Riverside Ledger',
      '12 Mill Road, Riverside',
      'Tax id: 12-3456789',
      'Annual giving statement 2026',
      'Donor: ada@example.org',
      'America/New_York',
      `Mar 10, 2026 ${receipt} Keep the presses running One-time $50.00 $15.00 $35.00`,
      'Dec 31, 2026',
      'Jul 1, 2026 Fonds européen One-time €70.00 €70.00',
      'EUR: €70.00 (1 payment, €70.00 charged)',
      'USD: $60.00 (3 payments, $105.00 charged, $45.00 refunded)',
    ]) {
      expect(text).toContain(s);
    }
    // Last year's and next year's gifts, and another donor's, are not on it.
    for (const s of ['Dec 31, 2025', 'Jan 1, 2027', '$100.00', '$40.00', 'bob@example.org', '$10.00']) expect(text).not.toContain(s);
  });

  it('refuses a tampered, re-targeted or expired link', async () => {
    const url = new URL(await statementLink(ctx.db, ctx.config, { email: 'ada@example.org', year: 2026, now: clock() }));
    const token = url.pathname.split('/').pop()!;
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    expect((await ctx.app.request(`/statements/${flipped}`)).status).toBe(404);
    expect((await ctx.app.request(`/statements/${token.replace('s1.2026.', 's1.2025.')}`)).status).toBe(404);
    const [v, y, exp, tag, mac] = token.split('.');
    expect((await ctx.app.request(`/statements/${[v, y, Number(exp) + 86_400 * 365, tag, mac].join('.')}`)).status).toBe(404);
    expect((await ctx.app.request('/statements/not-a-token')).status).toBe(404);
    const short = await statementLink(ctx.db, ctx.config, {
      email: 'ada@example.org',
      year: 2026,
      now: clock(),
      expiresAt: new Date(clock().getTime() + 60_000),
    });
    expect((await ctx.app.request(new URL(short).pathname)).status).toBe(200);
    clock.advance(61_000);
    const expired = await ctx.app.request(new URL(short).pathname);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
    // A link for someone with no gifts that year names no one.
    const nobody = await statementLink(ctx.db, ctx.config, { email: 'nobody@example.org', year: 2026, now: clock() });
    expect((await ctx.app.request(new URL(nobody).pathname)).status).toBe(404);
  });

  it('lets an editor download a donor’s statement from the admin', async () => {
    const editor = await signIn(ctx, 'editor@example.org', 'editor');
    const res = await editor.req('/statements/2026/pdf?email=ADA%40example.org');
    expect(res.status).toBe(200);
    const [text] = await pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(text).toContain('USD: $60.00');
    expect((await editor.req('/statements/2026/pdf?email=not-an-address')).status).toBe(400);
  });

  it('the monthly donor’s page links a statement for each year they gave', async () => {
    const slug = (
      await ctx.db.selectFrom('campaigns').select('slug').where('title', '=', 'Keep the presses running').executeTakeFirstOrThrow()
    ).slug;
    const gift = await donate(ctx, slug, { amount: 1_500, frequency: 'monthly', email: 'ada@example.org' });
    const page = await ctx.app.request(
      new URL(await manageLinkFor(ctx, gift.giftId, clock())).pathname + new URL(await manageLinkFor(ctx, gift.giftId, clock())).search,
    );
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Annual giving statements');
    const links = [...html.matchAll(/<a href="(http:\/\/groundswell\.test\/statements\/[^"]+)">([^<]+)<\/a>/g)].map((m) => [m[2], m[1]!]);
    expect(links.map((l) => l[0])).toEqual(['2027 (so far), PDF', '2026, PDF', '2025, PDF']);
    const pdf = await ctx.app.request(new URL(links[1]![1]!.replaceAll('&amp;', '&')).pathname);
    expect(pdf.status).toBe(200);
    const [text] = await pdfText(new Uint8Array(await pdf.arrayBuffer()));
    expect(text).toContain('USD: $60.00 (3 payments');
  });
});
