import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';
import { type SmtpPeer, startSmtpPeer } from './smtp-peer.js';

/**
 * The organisation's side of receipts (issue 10 items 2, 3, 8): the tax status it states and
 * the legal text it writes, offline gifts, and resending a receipt from the admin.
 */
type Detail = { id: string; movements: { id: number; receipt: { number: number | null; to: string | null; mails: { kind: string }[] } }[] };

describe.each(testDatabaseKinds())('tax status, offline receipts and resending on %s', (kind) => {
  let ctx: TestContext;
  let peer: SmtpPeer;
  let owner: AdminClient;
  let worker: ReturnType<typeof createMailWorker>;
  let slug: string;
  beforeAll(async () => {
    peer = await startSmtpPeer();
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { SMTP_URL: peer.url, ORG_NAME: 'The Riverside Ledger', ORG_ADDRESS: '1 River St\nSpringfield, OR 97477' },
    });
    worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
    owner = await signIn(ctx);
    slug = (await makeCampaign(ctx.db, { title: 'Local news fund' })).slug;
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx?.close();
    await peer?.close();
  });
  beforeEach(() => {
    peer.messages.length = 0;
  });

  /** Sends what is due; returns the messages the SMTP server received just now. */
  const send = async () => {
    const seen = peer.messages.length;
    while ((await worker.runOnce()).sent > 0);
    return peer.messages.slice(seen);
  };
  const offline = (body: Record<string, unknown>) =>
    owner.json<Detail>(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 5000, receivedAt: '2026-12-02', ...body },
    });
  const settings = (body: Record<string, unknown>) => owner.req('/settings', { method: 'PATCH', body });
  const progressTax = async () => {
    ctx.app.progressCache.invalidate(0);
    return ((await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { tax: unknown }).tax;
  };

  it.each([
    [{ taxStatus: 'us_501c3' }, 'taxId'],
    [{ taxStatus: 'fiscal_sponsor' }, 'sponsorName'],
    [{ taxStatus: 'charity' }, 'taxStatus'],
    [{ logoUrl: 'http://riverside.example/logo.png' }, 'logoUrl'],
    [{ logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
    [{ taxTexts: { xx: 'Unknown language' } }, 'taxTexts'],
    [{ taxTexts: { en: 'x'.repeat(2001) } }, 'taxTexts.en'],
  ])('refuses a bad value with 400 on the field and writes nothing (%#)', async (body, field) => {
    const before = await ctx.db.selectFrom('organisation').selectAll().execute();
    const res = await settings(body);
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { field: string } }).error;
    expect(err.field.startsWith(field)).toBe(true);
    expect(await ctx.db.selectFrom('organisation').selectAll().execute()).toEqual(before);
  });

  it('a 501(c)(3) receipt states the EIN, the legal text and that no goods or services were provided', async () => {
    expect((await settings({ taxStatus: 'us_501c3', taxId: '12-3456789' })).status).toBe(200);
    await offline({ email: 'cheque@example.org', name: 'Ruth M.' });
    const [m] = await send();
    const text = m!.text!;
    expect(text).toContain('EIN: 12-3456789');
    expect(text).toContain(
      'The Riverside Ledger is a tax-exempt organisation under Section 501(c)(3) of the US Internal Revenue Code (EIN 12-3456789).',
    );
    expect(text).toContain('No goods or services were provided in exchange for this gift.');
    expect(text).toContain('Gift: Received offline (cheque, cash or transfer)');
    expect(text).toContain('Amount: $50.00 (USD)');
    expect(text).toContain('1 River St\nSpringfield, OR 97477');
    expect(await progressTax()).toMatchObject({ deductible: true, notice: { en: expect.stringContaining('501(c)(3)') } });
  });

  it('a fiscally sponsored organisation names its sponsor', async () => {
    expect(
      (await settings({ taxStatus: 'fiscal_sponsor', sponsorName: 'Commons Fiscal Sponsor Inc.', sponsorTaxId: '98-7654321' })).status,
    ).toBe(200);
    await offline({ email: 'sponsored@example.org' });
    const [m] = await send();
    expect(m!.text).toContain('The Riverside Ledger is a fiscally sponsored project of Commons Fiscal Sponsor Inc.');
    expect(m!.text).toContain('Fiscal sponsor: Commons Fiscal Sponsor Inc. (EIN 98-7654321)');
    expect(m!.text).toContain('No goods or services were provided in exchange for this gift.');
  });

  it('a non-deductible organisation says so on receipts and in its appeal, and never claims "no goods or services"', async () => {
    expect((await settings({ taxStatus: 'not_deductible' })).status).toBe(200);
    await offline({ email: 'nondeductible@example.org' });
    const [m] = await send();
    expect(m!.text).toContain('Gifts to The Riverside Ledger are not tax-deductible.');
    expect(m!.text).not.toContain('No goods or services');
    expect(m!.text).not.toContain('EIN');
    expect(await progressTax()).toEqual({
      deductible: false,
      notice: expect.objectContaining({
        en: 'Gifts to The Riverside Ledger are not tax-deductible.',
        fr: 'Les dons à The Riverside Ledger ne sont pas déductibles des impôts.',
      }),
    });
  });

  it('"other" prints the text the owners wrote, with placeholders filled, and makes no public claim', async () => {
    const res = await settings({
      taxStatus: 'other',
      taxId: '1234567',
      taxTexts: { en: '{organisation} is a registered charity in England and Wales, number {taxId}.' },
      footer: 'Questions? Reply to this e-mail.',
      logoUrl: 'https://riverside.example/logo.png',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { taxTexts: unknown }).taxTexts).toEqual({
      en: '{organisation} is a registered charity in England and Wales, number {taxId}.',
    });
    await offline({ email: 'other@example.org' });
    const [m] = await send();
    expect(m!.text).toContain('The Riverside Ledger is a registered charity in England and Wales, number 1234567.');
    expect(m!.text).not.toContain('No goods or services');
    expect(m!.text!.endsWith('--\nQuestions? Reply to this e-mail.')).toBe(true);
    // The logo is decoration: the name is there in text, so the mail reads the same without images.
    expect(m!.html as string).toMatch(/<img src="https:\/\/riverside\.example\/logo\.png" alt=""/);
    expect(m!.html as string).toContain('Questions? Reply to this e-mail.');
    expect(await progressTax()).toEqual({ deductible: null, notice: {} });
    // Back to plain for the next tests.
    expect((await settings({ taxStatus: 'unset', taxTexts: { en: '' }, footer: '', logoUrl: '' })).status).toBe(200);
  });

  it('receipts an offline gift once it has an e-mail, and corrects it when the amount is fixed or the gift voided', async () => {
    const gift = await offline({ name: 'Cash at the fair' });
    expect(await send()).toHaveLength(0); // no address, no receipt
    await owner.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { email: 'fair@example.org' } });
    await owner.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { amount: 4500 } });
    await owner.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { voided: true } });
    const mails = await send();
    expect(mails.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Your receipt from The Riverside Ledger: \$50\.00$/),
      expect.stringMatching(/^Corrected receipt \d+ from The Riverside Ledger: your gift is now \$45\.00$/),
      expect.stringMatching(/^Corrected receipt \d+ from The Riverside Ledger: your gift is now \$0\.00$/),
    ]);
    expect(mails[1]!.text).toContain('The amount received was corrected from $50.00 to $45.00.');
    expect(mails[2]!.text).toMatch(/This gift was voided: receipt \d+ no longer stands\./);
    const number = /Receipt number: (\d+)/.exec(mails[0]!.text!)![1];
    expect(mails[2]!.subject).toContain(`Corrected receipt ${number} `);
  });

  it('resends a receipt as a copy with the same number, once per click, audited; refuses what it cannot send', async () => {
    const gift = await offline({ email: 'lost-it@example.org', amount: 2500 });
    const [original] = await send();
    const number = /Receipt number: (\d+)/.exec(original!.text!)![1];
    const paymentId = gift.movements[0]!.id;

    const res = await owner.req(`/donations/${gift.id}/receipts`, { method: 'POST', body: { paymentId } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ to: 'lost-it@example.org', queued: true });
    // A double click is the same request.
    expect(await owner.json(`/donations/${gift.id}/receipts`, { method: 'POST', body: { paymentId } })).toEqual({
      to: 'lost-it@example.org',
      queued: false,
    });
    const [copy] = await send();
    expect(copy!.subject).toBe(`Copy of your receipt ${number} from The Riverside Ledger`);
    expect(copy!.envelopeTo).toEqual(['lost-it@example.org']);
    expect(copy!.text).toContain(`Receipt number: ${number}`);
    expect(copy!.text).toContain('Amount: $25.00 (USD)');

    // Later, after a correction: the copy says what changed since.
    await owner.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { amount: 2000 } });
    ctx.clock.advance(2 * 60_000);
    expect((await owner.req(`/donations/${gift.id}/receipts`, { method: 'POST', body: { paymentId } })).status).toBe(202);
    const later = await send();
    expect(later.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Corrected receipt/),
      `Copy of your receipt ${number} from The Riverside Ledger`,
    ]);
    expect(later[1]!.text).toContain('The amount of your gift is now $20.00.');

    const detail = await owner.json<Detail>(`/donations/${gift.id}`);
    expect(detail.movements[0]!.receipt).toMatchObject({ number: Number(number), to: 'lost-it@example.org' });
    expect(detail.movements[0]!.receipt.mails.map((m) => m.kind)).toEqual(['receipt', 'receipt', 'receipt.correction', 'receipt']);
    const { entries } = await owner.json<{ entries: { action: string; entityId: string }[] }>('/audit-log');
    expect(entries.filter((e) => e.action === 'receipt.resend' && e.entityId === gift.id)).toHaveLength(2);

    // Another gift's payment, a gift without an address, bad bodies: 4xx, nothing queued.
    const other = await offline({ name: 'No address' });
    const count = async () => (await ctx.db.selectFrom('mail_outbox').select('id').execute()).length;
    const before = await count();
    expect((await owner.req(`/donations/${other.id}/receipts`, { method: 'POST', body: { paymentId } })).status).toBe(404);
    const none = await owner.req(`/donations/${other.id}/receipts`, { method: 'POST', body: { paymentId: other.movements[0]!.id } });
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ error: { code: 'no_email' } });
    for (const body of [{}, { paymentId: '1' }, { paymentId: -1 }, { paymentId: 1.5 }, { paymentId, to: 'thief@example.org' }])
      expect((await owner.req(`/donations/${gift.id}/receipts`, { method: 'POST', body })).status, JSON.stringify(body)).toBe(400);
    expect(await count()).toBe(before);
  });
});
