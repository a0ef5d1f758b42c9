import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from '../admin/helpers.js';
import { type SmtpPeer, startSmtpPeer } from '../mail/smtp-peer.js';

/**
 * Languages (SPEC §13, issue 14): campaign copy per language from the admin to the public
 * progress (and its cache), the donor's language recorded with the gift and handed to Stripe
 * Checkout, and the donor's mails written in it, through a real SMTP server.
 */
describe.each(testDatabaseKinds())('languages on %s', (kind) => {
  let ctx: TestContext;
  let peer: SmtpPeer;
  let owner: AdminClient;
  let worker: ReturnType<typeof createMailWorker>;
  let slug: string;
  beforeAll(async () => {
    peer = await startSmtpPeer();
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { SMTP_URL: peer.url, ORG_NAME: 'The Riverside Ledger', ORG_TIMEZONE: 'UTC', CHECKOUT_RATE_LIMIT: '1000' },
    });
    worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
    owner = await signIn(ctx);
    slug = (await makeCampaign(ctx.db, { title: 'Local news fund', headline: 'Keep local news alive' })).slug;
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx?.close();
    await peer?.close();
  });
  beforeEach(() => {
    peer.messages.length = 0;
  });

  const send = async () => {
    const seen = peer.messages.length;
    while ((await worker.runOnce()).sent > 0);
    return peer.messages.slice(seen);
  };
  const progress = async () => (await (await ctx.app.request(`/api/campaigns/${slug}`)).json()) as { copy?: unknown; headline: string };
  const checkout = (body: Record<string, unknown>) =>
    ctx.app.request(`/api/campaigns/${slug}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 2500, frequency: 'once', ...body }),
    });

  it('keeps campaign copy per language: written by editors, audited, served as `copy` and refreshed in the cache', async () => {
    expect((await progress()).copy).toBeUndefined(); // warms the cache too
    const put = await owner.req(`/campaigns/${slug}/translations/es`, {
      method: 'PUT',
      body: { headline: 'Mantengamos vivas las noticias locales', message: 'Cada donación cuenta.' },
    });
    expect(put.status).toBe(200);
    // The bus drops the cached progress on every instance: no manual invalidation here.
    await vi.waitFor(async () =>
      expect((await progress()).copy).toEqual({
        es: { headline: 'Mantengamos vivas las noticias locales', message: 'Cada donación cuenta.' },
      }),
    );
    await owner.req(`/campaigns/${slug}/translations/ar`, { method: 'PUT', body: { headline: 'لنحافظ على الأخبار المحلية' } });
    await owner.req(`/campaigns/${slug}/translations/es`, { method: 'PUT', body: { headline: 'Noticias locales', message: '' } });
    await vi.waitFor(async () =>
      expect((await progress()).copy).toEqual({
        es: { headline: 'Noticias locales', message: '' },
        ar: { headline: 'لنحافظ على الأخبار المحلية', message: '' },
      }),
    );
    const list = await owner.json<{ translations: { locale: string; headline: string }[] }>(`/campaigns/${slug}/translations`);
    expect(list.translations.map((t) => t.locale)).toEqual(['ar', 'es']);
    // The default copy is untouched.
    expect((await progress()).headline).toBe('Keep local news alive');

    expect((await owner.req(`/campaigns/${slug}/translations/ar`, { method: 'DELETE' })).status).toBe(204);
    expect((await owner.req(`/campaigns/${slug}/translations/ar`, { method: 'DELETE' })).status).toBe(404);
    await vi.waitFor(async () => expect((await progress()).copy).toEqual({ es: { headline: 'Noticias locales', message: '' } }));

    // Refused: a language we do not speak, an empty headline, a line break in it.
    expect((await owner.req(`/campaigns/${slug}/translations/pt`, { method: 'PUT', body: { headline: 'Olá' } })).status).toBe(400);
    expect((await owner.req(`/campaigns/${slug}/translations/fr`, { method: 'PUT', body: { headline: '' } })).status).toBe(400);
    expect((await owner.req(`/campaigns/${slug}/translations/fr`, { method: 'PUT', body: { headline: 'a\nb' } })).status).toBe(400);

    const audit = await ctx.db
      .selectFrom('admin_audit_log')
      .where('action', 'like', 'campaign.translation%')
      .select(['action', 'before', 'after'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'campaign.translation',
      'campaign.translation',
      'campaign.translation',
      'campaign.translation.delete',
    ]);
    expect(audit[2]).toMatchObject({ before: { locale: 'es', headline: 'Mantengamos vivas las noticias locales' } });
  });

  it('records the donor language with the gift and opens Stripe Checkout in it (Arabic: Stripe picks, "auto")', async () => {
    for (const [locale, stripe] of [
      ['es', 'es'],
      ['de', 'de'],
      ['ar', 'auto'],
      [undefined, null],
    ] as const) {
      const res = await checkout(locale ? { locale } : {});
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const gift = await ctx.db.selectFrom('gifts').where('checkout_session_id', '=', id).select('locale').executeTakeFirstOrThrow();
      expect(gift.locale).toBe(locale ?? null);
      expect((await ctx.stripe.checkout.sessions.retrieve(id)).locale).toBe(stripe);
    }
    const bad = await checkout({ locale: 'pt' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('locale');
  });

  it('the emulator refuses a Checkout language Stripe does not have, as Stripe does', async () => {
    await expect(
      ctx.stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: 'http://groundswell.test/thanks',
        locale: 'ar' as 'auto',
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'x' } } }],
      }),
    ).rejects.toThrow(/locale/);
  });

  it('sends a Spanish receipt end to end: subject, words, money and dates in Spanish, and the legal text the owners wrote in Spanish', async () => {
    const settings = await owner.req('/settings', {
      method: 'PATCH',
      body: {
        taxStatus: 'other',
        taxId: '1234567',
        taxTexts: {
          en: '{organisation} is a registered charity, number {taxId}.',
          es: '{organisation} es una entidad benéfica registrada, número {taxId}.',
        },
      },
    });
    expect(settings.status).toBe(200);
    const res = await checkout({ locale: 'es', name: 'Lucía', email: 'lucia@example.org', dedication: { kind: 'memory', name: 'Abuela' } });
    const { id } = (await res.json()) as { id: string };
    await ctx.emulator.completeCheckout(id);
    await ctx.emulator.flush();
    for (const e of ctx.emulator.events().filter((e) => JSON.stringify(e).includes(id))) expect((await ctx.deliver(e)).status).toBe(200);
    const [m, ...more] = await send();
    expect(more).toHaveLength(0);
    expect(m!.envelopeTo).toEqual(['lucia@example.org']);
    expect(m!.subject).toMatch(/^Su recibo de The Riverside Ledger: 25,00\sUS\$$/);
    const text = m!.text!;
    expect(text).toContain('Estimado/a Lucía:');
    expect(text).toContain('Gracias por su donación a The Riverside Ledger. Este es su recibo.');
    expect(text).toMatch(/^Número de recibo: \d+$/m);
    expect(text).toMatch(/^Fecha de pago: 5 de diciembre de 2026$/m);
    expect(text).toMatch(/^Importe: 25,00\sUS\$ \(USD\)$/m);
    expect(text).toContain('Dedicatoria: En memoria de Abuela');
    expect(text).toContain('The Riverside Ledger es una entidad benéfica registrada, número 1234567.');
    expect(text).not.toContain('registered charity');
    expect(text).not.toMatch(/Your receipt|Thank you/);
    const html = m!.html as string;
    expect(html).toMatch(/<html lang="es">/);
    expect(html).not.toContain('dir="rtl"');
  });

  it('sends an Arabic receipt right to left, with the English legal text when the owners wrote none in Arabic', async () => {
    // An offline gift entered by the admin in the donor's language.
    const gift = await owner.json<{ id: string }>(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 5000, receivedAt: '2026-12-02', name: 'سلمى', email: 'salma@example.org', locale: 'ar' },
    });
    const stored = await ctx.db.selectFrom('gifts').where('id', '=', gift.id).select('locale').executeTakeFirstOrThrow();
    expect(stored.locale).toBe('ar');
    const [m] = await send();
    expect(m!.subject).toMatch(/^إيصالك من The Riverside Ledger: /);
    const text = m!.text!;
    expect(text).toContain('عزيزي/عزيزتي سلمى،');
    expect(text).toContain('شكرًا لتبرعك إلى The Riverside Ledger. هذا هو إيصالك.');
    expect(text).toMatch(/^رقم الإيصال: \d+$/m);
    expect(text).toContain('التبرع: استُلم خارج الإنترنت');
    expect(text).toContain('The Riverside Ledger is a registered charity, number 1234567.');
    const html = m!.html as string;
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(html).toContain('<td dir="rtl"');

    // A correction of that gift: the notice is in Arabic too, its subject included.
    await owner.json(`/offline-donations/${gift.id}`, { method: 'PATCH', body: { amount: 4500 } });
    const [n] = await send();
    expect(n!.subject).toMatch(/^إيصال مصحَّح رقم \d+ من The Riverside Ledger: أصبح تبرعك /);
    expect(n!.html as string).toMatch(/<html lang="ar" dir="rtl">/);
  });

  it('a donor without a recorded language gets English', async () => {
    await owner.json(`/campaigns/${slug}/offline-donations`, {
      method: 'POST',
      body: { amount: 1000, receivedAt: '2026-12-02', email: 'plain@example.org' },
    });
    const [m] = await send();
    expect(m!.subject).toBe('Your receipt from The Riverside Ledger: $10.00');
    expect(m!.html as string).toMatch(/<html lang="en">/);
  });
});
