import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

const DAY = 86_400_000;
const fee = (amount: number) => Math.round(amount * 0.029) + 30; // the emulator's card pricing

/** The books (SPEC §12): per Stripe payment, Stripe's fee, the net and the payout, as a treasurer matches them. */
describe.each(testDatabaseKinds())('the books on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const gifts: Record<'once' | 'monthly', string> = { once: '', monthly: '' };
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-01T10:00:00Z') });
    await makeCampaign(ctx.db, { slug: 'books' });
    for (const [frequency, amount] of [
      ['once', 2500],
      ['monthly', 1000],
    ] as const) {
      const res = await ctx.app.request('/api/campaigns/books/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount, frequency, email: `${frequency}@example.org` }),
      });
      const cs = ((await res.json()) as { id: string }).id;
      await ctx.emulator.completeCheckout(cs);
      const g = await ctx.db.selectFrom('gifts').where('checkout_session_id', '=', cs).select('id').executeTakeFirstOrThrow();
      gifts[frequency] = g.id;
      if (frequency === 'monthly') {
        ctx.clock.advance(DAY);
        await ctx.emulator.renewSubscription((await ctx.stripe.checkout.sessions.retrieve(cs)).subscription as string);
      }
    }
    await ctx.emulator.flush();
    admin = await signIn(ctx, 'treasurer@example.org', 'editor');
  });
  afterAll(async () => ctx?.close());

  const csv = async () => {
    const res = await admin.req('/campaigns/books/donations.csv');
    expect(res.status).toBe(200);
    const [header, ...rows] = parse((await res.text()).replace(/^\uFEFF/, '')) as string[][];
    const byGift = new Map(rows.map((r) => [r[header!.indexOf('Gift ID')]!, r]));
    return (gift: string, column: string) => byGift.get(gift)![header!.indexOf(column)];
  };

  it('knows the fee and net of each payment as soon as it is paid (charge.succeeded)', async () => {
    const cell = await csv();
    expect(cell(gifts.once, 'Stripe fee')).toBe('1.03');
    expect(cell(gifts.once, 'Net')).toBe('23.97');
    // Monthly: the first payment and one renewal.
    expect(cell(gifts.monthly, 'Stripe fee')).toBe(((2 * fee(1000)) / 100).toFixed(2));
    expect(cell(gifts.monthly, 'Net')).toBe(((2 * (1000 - fee(1000))) / 100).toFixed(2));
    expect(cell(gifts.once, 'Payouts')).toBe('');
  });

  it('learns the payout each payment went out in (payout.paid), in the CSV and the donation detail', async () => {
    ctx.clock.advance(3 * DAY);
    const [payout] = await ctx.emulator.payout();
    await ctx.emulator.flush();
    // Sessions follow the (fake) clock: three days on, the treasurer signs in again.
    admin = await signIn(ctx, 'treasurer2@example.org', 'editor');
    expect(payout!.amount).toBe(2500 - fee(2500) + 2 * (1000 - fee(1000)));
    const cell = await csv();
    expect(cell(gifts.once, 'Payouts')).toBe(payout!.id);
    expect(cell(gifts.monthly, 'Payouts')).toBe(payout!.id);
    expect(cell(gifts.once, 'Payout arrival')).toBe(new Date(payout!.arrival_date * 1000).toISOString().slice(0, 10));

    const detail = await admin.json<{
      movements: { balance: { type: string; fee: number; net: number; payout: { id: string } | null }[] }[];
    }>(`/donations/${gifts.once}`);
    expect(detail.movements[0]!.balance).toEqual([
      expect.objectContaining({
        type: 'charge',
        amount: 2500,
        fee: fee(2500),
        net: 2500 - fee(2500),
        payout: expect.objectContaining({ id: payout!.id }),
      }),
    ]);
    // The sum of the nets of a payout is what reaches the bank.
    const inPayout = await ctx.db
      .selectFrom('stripe_balance_transactions')
      .where('payout_id', '=', payout!.id)
      .where('type', '<>', 'payout')
      .select('net')
      .execute();
    expect(inPayout.reduce((s, r) => s + r.net, 0)).toBe(payout!.amount);
  });

  it('fees are the organisation’s cost: the campaign still counts what donors gave', async () => {
    const totals = await ctx.db.selectFrom('campaign_totals').select(['raised', 'donations']).executeTakeFirstOrThrow();
    expect(totals).toEqual({ raised: 2500 + 2 * 1000, donations: 3 });
  });

  it('a payout.paid delivered twice changes nothing', async () => {
    const before = await ctx.db.selectFrom('stripe_balance_transactions').selectAll().orderBy('id').execute();
    const event = ctx.emulator.events().find((e) => e.type === 'payout.paid')!;
    const res = await ctx.deliver(event);
    expect(await res.json()).toMatchObject({ duplicate: true });
    expect(await ctx.db.selectFrom('stripe_balance_transactions').selectAll().orderBy('id').execute()).toEqual(before);
  });
});
