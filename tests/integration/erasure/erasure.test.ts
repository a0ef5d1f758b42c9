import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { queueMail } from '../../../server/mail/queue.js';
import { receiptNumber } from '../../../server/mail/receipts.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { statementFor } from '../../../server/statements/service.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, donate, signIn } from '../admin/helpers.js';
import { openCampaigns, paidGift } from '../statements/helpers.js';

const ADA = 'Ada.Lovelace@example.org';
const TRACES = ['ada.lovelace@example.org', 'Lovelace', 'night desk', 'Babbage'];

describe.each(testDatabaseKinds())('erasing a donor on %s', (kind) => {
  let ctx: TestContext;
  let owner: AdminClient;
  let slug: string;
  const clock = fakeClock('2026-12-05T10:00:00Z');

  /** Every table in the database, each row as text: where would the donor still be? */
  const traces = async (needle: string) => {
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(ctx.db);
    const found: string[] = [];
    for (const { table_name } of tables.rows) {
      const r = await sql<{
        n: number;
      }>`select count(*)::int as n from ${sql.table(table_name)} as x where x::text ilike ${`%${needle}%`}`.execute(ctx.db);
      if (Number(r.rows[0]!.n) > 0) found.push(table_name);
    }
    return found;
  };
  const money = async () => ({
    totals: await ctx.db
      .selectFrom('campaign_totals')
      .select(['campaign_id', 'raised', 'donations', 'donors', 'refunded', 'disputed'])
      .orderBy('campaign_id')
      .execute(),
    donorsRows: await ctx.db
      .selectFrom('campaign_donors')
      .select(['campaign_id', 'payments'])
      .orderBy('campaign_id')
      .orderBy('payments')
      .execute(),
    payments: await ctx.db
      .selectFrom('payments')
      .select(['id', 'amount', 'currency', 'paid_at', 'applied_raised', 'applied_donation', 'applied_refunded'])
      .orderBy('id')
      .execute(),
    receipts: await ctx.db.selectFrom('receipts').selectAll().orderBy('number').execute(),
    progress: await (await ctx.app.request(`/api/campaigns/${slug}`)).json(),
    dashboard: await owner.json(`/campaigns/${slug}`),
  });

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock });
    const { usd } = await openCampaigns(ctx);
    slug = usd.slug;
    owner = await signIn(ctx);
    // Through the real checkout and the emulator's webhooks: the stored events carry the address.
    const gift = await donate(ctx, slug, {
      amount: 5_000,
      email: ADA,
      name: 'Ada Lovelace',
      comment: 'For the night desk',
      ...({ dedication: { kind: 'memory', name: 'Charles Babbage' } } as object),
    });
    await donate(ctx, slug, { amount: 2_000, email: 'bob@example.org', name: 'Adam Adams', comment: 'Keep it up' });
    const refunded = await paidGift(ctx, usd, {
      email: 'ada.lovelace@EXAMPLE.org',
      amount: 3_000,
      paidAt: '2026-12-01T12:00:00Z',
      refunded: 1_000,
    });
    await owner.json(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 10_000, receivedAt: '2026-12-02', name: 'Ada Lovelace', email: ADA, note: 'Cheque from Ada Lovelace' },
    });
    const signUp = await ctx.app.request('/api/digest/subscribe', {
      method: 'POST',
      body: JSON.stringify({ email: ADA, consent: true }),
      headers: { 'content-type': 'application/json', referer: 'https://news.example/digest' },
    });
    expect(signUp.status).toBe(201);
    const payment = await ctx.db.selectFrom('payments').select('id').where('gift_id', '=', gift.giftId).executeTakeFirstOrThrow();
    await queueMail(ctx.db, {
      kind: 'receipt',
      to: ADA,
      factKey: `receipt:${payment.id}`,
      data: {
        paymentId: payment.id,
        number: await receiptNumber(ctx.db, payment.id, clock()),
        donorName: 'Ada Lovelace',
        amount: 5_000,
        coveredFees: 0,
        offline: false,
        currency: 'usd',
        paidAt: clock().toISOString(),
        campaign: 'Keep the presses running',
        dedication: { kind: 'memory', name: 'Charles Babbage' },
        recurring: false,
      },
      at: clock(),
    });
    await receiptNumber(ctx.db, refunded.paymentId, clock());
    // A pledge made while payments were down (issue 13) names the donor too.
    const campaign = await ctx.db.selectFrom('campaigns').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    await ctx.db
      .insertInto('pledges')
      .values({
        id: '00000000-0000-4000-8000-00000000ada1',
        campaign_id: campaign.id,
        amount: 4_000,
        currency: 'usd',
        frequency: 'once',
        email: ADA,
        name: 'Ada Lovelace',
        consent_text: 'E-mail me once when I can complete this gift.',
        delete_after: new Date('2027-03-01T00:00:00Z'),
        created_at: clock(),
      })
      .execute();
    await createMailWorker({ db: ctx.db, config: ctx.config, clock, log: createLogger('silent') }).runOnce();
    // The setup really stored the donor in the places erasure must reach.
    expect(await traces('ada.lovelace@example.org')).toEqual(
      expect.arrayContaining([
        'gifts',
        'payments',
        'campaign_donors',
        'stripe_events',
        'mail_outbox',
        'digest_subscribers',
        'pledges',
        'admin_audit_log',
      ]),
    );
  });
  afterAll(async () => ctx?.close());

  it('needs the address typed twice, and shows what it will change first', async () => {
    const preview = await owner.json('/erasures/preview', { method: 'POST', body: { email: ADA } });
    expect(preview.found).toMatchObject({ gifts: 3, payments: 3, subscribers: 1, pledges: 1 });
    expect(preview.found.stripeEvents).toBeGreaterThan(0);
    expect(preview.found.mails).toBeGreaterThanOrEqual(2);
    const before = await traces('ada.lovelace@example.org');
    const res = await owner.req('/erasures', { method: 'POST', body: { email: ADA, confirm: 'ada.lovelace@example.com' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.field).toBe('confirm');
    expect(await traces('ada.lovelace@example.org')).toEqual(before);
  });

  it('anonymises the donor everywhere while amounts, receipt numbers and totals stay exactly', async () => {
    // A mail still waiting to go out (this year's statement) is not sent to the pseudonym.
    await queueMail(ctx.db, {
      kind: 'statement',
      to: ADA,
      factKey: `statement:2026:${ADA.toLowerCase()}`,
      data: { year: 2026, url: 'http://groundswell.test/statements/x', totals: [] },
      at: clock(),
    });
    const before = await money();
    const statementBefore = await statementFor(ctx.db, ctx.config, ADA, 2026);
    const res = await owner.req('/erasures', { method: 'POST', body: { email: ADA, confirm: ADA.toUpperCase() } });
    expect(res.status).toBe(201);
    const { pseudonym, counts } = await res.json();
    expect(pseudonym).toMatch(/^erased-[0-9a-f]{12}@erased\.invalid$/);
    expect(counts).toMatchObject({ gifts: 3, payments: 3, subscribers: 1, pledges: 1 });

    expect(await money()).toEqual(before);
    const statementAfter = await statementFor(ctx.db, ctx.config, pseudonym, 2026);
    expect(statementAfter.totals).toEqual(statementBefore.totals);
    expect(statementAfter.totals).toEqual([{ currency: 'USD', amount: 18_000, returned: 1_000, net: 17_000, payments: 3 }]);

    for (const t of TRACES) expect([t, await traces(t)]).toEqual([t, []]);
    const waiting = await ctx.db
      .selectFrom('mail_outbox')
      .select(['status', 'fact_key', 'to_address'])
      .where('kind', '=', 'statement')
      .execute();
    expect(waiting).toEqual([{ status: 'suppressed', fact_key: `statement:2026:${pseudonym}`, to_address: pseudonym }]);
    // The other donor is untouched, though "Adam Adams" contains "Ada".
    const bob = await ctx.db
      .selectFrom('gifts')
      .select(['name', 'comment', 'email'])
      .where('email', '=', 'bob@example.org')
      .executeTakeFirstOrThrow();
    expect(bob).toEqual({ name: 'Adam Adams', comment: 'Keep it up', email: 'bob@example.org' });
    // Stored events still read as Stripe events, their amounts as they were.
    const events = await ctx.db.selectFrom('stripe_events').select('payload').where('type', '=', 'checkout.session.completed').execute();
    const sessions = events.map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload).data.object);
    expect(sessions.map((s) => s.amount_total).sort()).toEqual([2_000, 3_000, 5_000]);
    expect(sessions.filter((s) => s.customer_details?.email === pseudonym)).toHaveLength(2);

    const audit = await ctx.db
      .selectFrom('admin_audit_log')
      .select(['action', 'entity', 'entity_id', 'admin_email'])
      .where('action', '=', 'donor.erase')
      .execute();
    expect(audit).toEqual([{ action: 'donor.erase', entity: 'donor', entity_id: pseudonym, admin_email: 'ops@example.org' }]);
    expect((await owner.json('/erasures')).erasures).toEqual([expect.objectContaining({ pseudonym, counts })]);
  });

  it('an address with nothing stored is a 404, and nothing is written', async () => {
    const audits = await ctx.db.selectFrom('admin_audit_log').select('id').execute();
    const res = await owner.req('/erasures', { method: 'POST', body: { email: ADA, confirm: ADA } });
    expect(res.status).toBe(404);
    expect(await ctx.db.selectFrom('admin_audit_log').select('id').execute()).toEqual(audits);
    const editor = await signIn(ctx, 'editor@example.org', 'editor');
    expect((await editor.req('/erasures', { method: 'POST', body: { email: 'bob@example.org', confirm: 'bob@example.org' } })).status).toBe(
      403,
    );
  });
});
