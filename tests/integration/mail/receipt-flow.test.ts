import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { charge, checkoutSession, dispute, event, invoice, invoicePayment, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { runs } from '../../helpers/property.js';
import { type SmtpPeer, startSmtpPeer } from './smtp-peer.js';

/**
 * Receipts and corrected notices from the ledger's facts, sent through a real SMTP server
 * (SPEC §10): every paid payment gets one receipt with its own number and the amount charged;
 * a refund, a lost dispute and their reversals send a corrected notice citing that number; after
 * any order of delivery, with duplicates, the last thing each donor was told is the truth.
 */
const T = Date.parse('2026-12-05T10:00:00Z') / 1000;

function refund(o: { id: string; charge: string; paymentIntent: string; amount: number; status: string; created: number }) {
  return {
    id: o.id,
    object: 'refund',
    amount: o.amount,
    charge: o.charge,
    currency: 'usd',
    payment_intent: o.paymentIntent,
    status: o.status,
    created: o.created,
  };
}

interface Mail {
  id: number;
  kind: string;
  to: string;
  factKey: string;
  text: string;
}

describe.each(testDatabaseKinds())('receipts from the ledger on %s', (kind) => {
  let ctx: TestContext;
  let peer: SmtpPeer;
  let worker: ReturnType<typeof createMailWorker>;
  beforeAll(async () => {
    peer = await startSmtpPeer();
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:05:00Z'),
      env: { SMTP_URL: peer.url, ORG_NAME: 'The Riverside Ledger', ORG_TIMEZONE: 'America/Los_Angeles', CHECKOUT_RATE_LIMIT: '1000' },
    });
    worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx?.close();
    await peer?.close();
  });

  /** Sends everything due, then returns the mails of these addresses in the order they were queued. */
  async function mailsTo(...addresses: string[]): Promise<Mail[]> {
    while ((await worker.runOnce()).sent > 0);
    const rows = await ctx.db
      .selectFrom('mail_outbox')
      .where('to_address', 'in', addresses)
      .select(['id', 'kind', 'to_address', 'fact_key', 'text_body', 'status'])
      .orderBy('id')
      .execute();
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    // Each mail reached the SMTP server exactly once.
    const delivered = peer.messages.filter((m) => m.envelopeTo.some((t) => addresses.includes(t)));
    expect(delivered).toHaveLength(rows.length);
    return rows.map((r) => ({ id: r.id, kind: r.kind, to: r.to_address, factKey: r.fact_key, text: r.text_body ?? '' }));
  }
  const field = (text: string, label: string) => new RegExp(`^${label}: (.+)$`, 'm').exec(text)?.[1];
  const paymentOf = (m: Mail) => Number(m.factKey.split(':')[1]);

  /** The last statement per payment (the receipt, or its newest corrected notice). */
  function lastWord(mails: Mail[]) {
    const last = new Map<number, Mail>();
    for (const m of mails) last.set(paymentOf(m), m);
    return last;
  }
  const statedNet = (m: Mail) => (m.kind === 'receipt' ? field(m.text, 'Amount')?.split(' (')[0] : field(m.text, 'Your gift now'));

  it('sends one receipt for a gift paid through Checkout, with the amount charged (covered fees included), however often its events arrive', async () => {
    const c = await makeCampaign(ctx.db, { title: 'Year-end drive' });
    const start = await ctx.app.request(`/api/campaigns/${c.slug}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: 10_000,
        frequency: 'once',
        coverFees: true,
        name: 'Dana K.',
        email: 'Dana@Example.org',
        dedication: { kind: 'memory', name: 'Ms. Alvarez' },
      }),
    });
    expect(start.status).toBe(201);
    const { id: sessionId } = (await start.json()) as { id: string };
    await ctx.emulator.completeCheckout(sessionId);
    await ctx.emulator.flush();
    // Stripe redelivers everything, twice, in reverse order.
    const events = ctx.emulator.events().filter((e) => JSON.stringify(e).includes(sessionId));
    for (const e of [...events].reverse()) expect((await ctx.deliver(e)).status).toBe(200);
    for (const e of events) expect((await ctx.deliver(e)).status).toBe(200);

    const mails = await mailsTo('dana@example.org');
    expect(mails.map((m) => m.kind)).toEqual(['receipt']);
    const text = mails[0]!.text;
    // 10,000 + fees: ceil((10000 + 30) / (1 - 0.029)) = 10,330
    expect(field(text, 'Amount')).toBe('$103.30 (USD) including $3.30 you added to help cover processing fees');
    expect(field(text, 'Campaign')).toBe('Year-end drive');
    expect(field(text, 'Dedication')).toBe('In memory of Ms. Alvarez');
    expect(field(text, 'Date paid')).toMatch(/^December \d, 2026$/);
    expect(field(text, 'Receipt number')).toMatch(/^\d+$/);
    expect(text).toContain('Dear Dana K.,');
    const smtp = peer.messages.find((m) => m.envelopeTo.includes('dana@example.org'))!;
    expect(smtp.subject).toBe('Your receipt from The Riverside Ledger: $103.30');
    expect(smtp.html as string).toContain('In memory of Ms. Alvarez');
    expect(smtp.html as string).not.toMatch(/<img/i);

    // /thanks says so, without naming the address.
    const status = (await (await ctx.app.request(`/api/checkout-sessions/${sessionId}`)).json()) as { receipt: boolean };
    expect(status).toMatchObject({ status: 'paid', receipt: true });
    expect(JSON.stringify(status)).not.toContain('example.org');
  });

  it('receipts every renewal (inside the campaign window or not) with its own increasing number', async () => {
    const c = await makeCampaign(ctx.db, { endsAt: new Date('2026-12-31T00:00:00Z') });
    const g = await makeGift(ctx.db, c, { amount: 2000, frequency: 'monthly', email: 'monthly@example.org' });
    const ref = { id: g.id, amount: 2000, campaignSlug: c.slug, email: 'monthly@example.org' };
    const sub = sid('sub');
    const first = invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T });
    const inside = invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 20 * 86_400 });
    const after = invoice(ref, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 40 * 86_400 });
    const session = checkoutSession(ref, { mode: 'subscription', subscription: sub, invoice: first.id });
    for (const e of [
      event('invoice.paid', after, T + 40 * 86_400),
      event('checkout.session.completed', session, T),
      event('invoice.paid', first, T),
      event('invoice.paid', inside, T + 20 * 86_400),
      event('invoice.paid', first, T),
      event('checkout.session.completed', session, T + 1),
    ])
      expect((await ctx.deliver(e)).status).toBe(200);
    const mails = await mailsTo('monthly@example.org');
    expect(mails.map((m) => m.kind)).toEqual(['receipt', 'receipt', 'receipt']);
    const numbers = mails.map((m) => Number(field(m.text, 'Receipt number')));
    expect(new Set(numbers).size).toBe(3);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(mails.every((m) => field(m.text, 'Gift') === 'Monthly' && field(m.text, 'Amount') === '$20.00 (USD)')).toBe(true);
    // The renewal after the campaign ended counts for no campaign, and still has its receipt.
    const { raised } = (await (await ctx.app.request(`/api/campaigns/${c.slug}`)).json()) as { raised: number };
    expect(raised).toBe(4000);
  });

  it('corrects a receipt for a partial refund, a refund that failed, a lost dispute and a dispute won on appeal, citing its number', async () => {
    const c = await makeCampaign(ctx.db);
    const g = await makeGift(ctx.db, c, { amount: 10_000, email: 'corrected@example.org' });
    const pi = sid('pi');
    const ch = sid('ch');
    const ref = { id: g.id, amount: 10_000, campaignSlug: c.slug, email: 'corrected@example.org' };
    const re1 = { id: sid('re'), charge: ch, paymentIntent: pi, amount: 3000, created: T + 10 };
    const re2 = { id: sid('re'), charge: ch, paymentIntent: pi, amount: 2000, created: T + 20 };
    const dp = { id: sid('dp'), charge: ch, paymentIntent: pi, amount: 5000 };
    const history = [
      event('checkout.session.completed', checkoutSession(ref, { paymentIntent: pi }), T),
      event('refund.created', refund({ ...re1, status: 'succeeded' }), T + 10),
      event('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10_000, amountRefunded: 3000 }), T + 10),
      event('refund.created', refund({ ...re2, status: 'pending' }), T + 20),
      event('refund.failed', refund({ ...re2, status: 'failed' }), T + 30),
      event('charge.dispute.created', dispute({ ...dp, status: 'needs_response' }), T + 40),
      event('charge.dispute.closed', dispute({ ...dp, status: 'lost' }), T + 50),
      event('charge.dispute.updated', dispute({ ...dp, status: 'appeal_under_review' }), T + 60),
      event('charge.dispute.closed', dispute({ ...dp, status: 'won' }), T + 70),
    ];
    for (const e of history) {
      expect((await ctx.deliver(e)).status).toBe(200);
      expect((await ctx.deliver(e)).status).toBe(200); // every event twice
    }
    const mails = await mailsTo('corrected@example.org');
    expect(mails.map((m) => m.kind)).toEqual([
      'receipt',
      'receipt.correction',
      'receipt.correction',
      'receipt.correction',
      'receipt.correction',
      'receipt.correction',
    ]);
    const number = field(mails[0]!.text, 'Receipt number')!;
    for (const m of mails.slice(1)) expect(field(m.text, 'Corrects receipt number')).toBe(number);
    const [, refunded, pending, failed, lost, won] = mails;
    expect(refunded!.text).toContain('$30.00 of this gift was refunded to you.');
    expect(field(refunded!.text, 'Your gift now')).toBe('$70.00');
    // The second refund took money back while pending, then failed: the notice says it stays a gift.
    expect(field(pending!.text, 'Your gift now')).toBe('$50.00');
    expect(failed!.text).toContain('A refund of $20.00 did not go through');
    expect(field(failed!.text, 'Your gift now')).toBe('$70.00');
    expect(lost!.text).toContain('$50.00 was returned to you through your bank after a payment dispute.');
    expect(field(lost!.text, 'Your gift now')).toBe('$20.00');
    expect(won!.text).toContain('A payment dispute was reversed in favour of The Riverside Ledger: $50.00 counts as your gift again.');
    expect(field(won!.text, 'Your gift now')).toBe('$70.00');
    const smtp = peer.messages.filter((m) => m.envelopeTo.includes('corrected@example.org'));
    expect(smtp.at(-1)!.subject).toBe(`Corrected receipt ${number} from The Riverside Ledger: your gift is now $70.00`);
  });

  it('after any order of delivery, with duplicates, each payment has one receipt and the last word is the truth', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.infiniteStream(fc.nat()), fc.array(fc.nat(), { maxLength: 8 }), async (order, dupes) => {
        round++;
        const c = await makeCampaign(ctx.db);
        const emails = { a: `a${round}@example.org`, b: `b${round}@example.org`, m: `m${round}@example.org` };
        // A: 80.00 one-time, refunded 30.00 in two refunds, a third refund failed.
        const a = await makeGift(ctx.db, c, { amount: 8000, email: emails.a });
        const piA = sid('pi');
        const chA = sid('ch');
        // B: 60.00 one-time, dispute lost.
        const b = await makeGift(ctx.db, c, { amount: 6000, email: emails.b });
        const piB = sid('pi');
        const dpB = { id: sid('dp'), charge: sid('ch'), paymentIntent: piB, amount: 6000 };
        // M: 25.00 monthly; the renewal is refunded in full.
        const m = await makeGift(ctx.db, c, { amount: 2500, frequency: 'monthly', email: emails.m });
        const refM = { id: m.id, amount: 2500, campaignSlug: c.slug, email: emails.m };
        const sub = sid('sub');
        const in1 = invoice(refM, { id: sid('in'), subscription: sub, billingReason: 'subscription_create', paidAt: T });
        const in2 = invoice(refM, { id: sid('in'), subscription: sub, billingReason: 'subscription_cycle', paidAt: T + 30 * 86_400 });
        const piM2 = sid('pi');
        const events = [
          event(
            'checkout.session.completed',
            checkoutSession({ id: a.id, amount: 8000, campaignSlug: c.slug, email: emails.a }, { paymentIntent: piA }),
            T,
          ),
          event(
            'refund.created',
            refund({ id: sid('re'), charge: chA, paymentIntent: piA, amount: 1000, status: 'succeeded', created: T + 5 }),
            T + 5,
          ),
          event(
            'refund.created',
            refund({ id: sid('re'), charge: chA, paymentIntent: piA, amount: 2000, status: 'succeeded', created: T + 6 }),
            T + 6,
          ),
          event(
            'refund.failed',
            refund({ id: sid('re'), charge: chA, paymentIntent: piA, amount: 500, status: 'failed', created: T + 7 }),
            T + 8,
          ),
          event('charge.refunded', charge({ id: chA, paymentIntent: piA, amount: 8000, amountRefunded: 3000 }), T + 9),
          event(
            'checkout.session.completed',
            checkoutSession({ id: b.id, amount: 6000, campaignSlug: c.slug, email: emails.b }, { paymentIntent: piB }),
            T,
          ),
          event('charge.dispute.created', dispute({ ...dpB, status: 'needs_response' }), T + 3),
          event('charge.dispute.closed', dispute({ ...dpB, status: 'lost' }), T + 4),
          event('checkout.session.completed', checkoutSession(refM, { mode: 'subscription', subscription: sub, invoice: in1.id }), T),
          event('invoice.paid', in1, T),
          event('invoice.paid', in2, T + 30 * 86_400),
          event('invoice_payment.paid', invoicePayment(in2.id, piM2, 2500), T + 30 * 86_400),
          event('charge.refunded', charge({ id: sid('ch'), paymentIntent: piM2, amount: 2500, amountRefunded: 2500 }), T + 31 * 86_400),
        ];
        const draw = order[Symbol.iterator]();
        const shuffled = [...events];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = draw.next().value! % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        for (const d of dupes) shuffled.splice(d % shuffled.length, 0, events[d % events.length]!);
        for (const e of shuffled) expect((await ctx.deliver(e)).status).toBe(200);

        const mails = await mailsTo(emails.a, emails.b, emails.m);
        const receipts = mails.filter((x) => x.kind === 'receipt');
        // One receipt per payment: A, B, M's first payment and its renewal.
        expect(receipts.map((x) => x.to).sort()).toEqual([emails.a, emails.b, emails.m, emails.m].sort());
        const numberOf = new Map(receipts.map((x) => [paymentOf(x), field(x.text, 'Receipt number')]));
        expect(new Set(numberOf.values()).size).toBe(4);
        for (const x of mails.filter((y) => y.kind === 'receipt.correction'))
          expect(field(x.text, 'Corrects receipt number')).toBe(numberOf.get(paymentOf(x)));
        const last = [...lastWord(mails).values()];
        const said = (to: string) =>
          last
            .filter((x) => x.to === to)
            .map(statedNet)
            .sort();
        expect(said(emails.a)).toEqual(['$50.00']);
        expect(said(emails.b)).toEqual(['$0.00']);
        expect(said(emails.m)).toEqual(['$0.00', '$25.00']);
      }),
      { numRuns: runs(4) },
    );
  });
});
