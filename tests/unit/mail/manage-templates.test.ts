import { describe, expect, it } from 'vitest';
import { LinkSigner } from '../../../server/manage/links.js';
import { isMailKind, renderMail } from '../../../server/mail/templates.js';

const ctx = { org: { name: 'The Riverside Ledger', timeZone: 'America/New_York' }, publicUrl: 'https://give.example' };
const url = 'https://give.example/manage?token=manage.abc';
const gift = { donorName: 'Mo <b>Reader</b>', campaign: 'Keep the river clean', amount: 2500, currency: 'usd' };

describe('monthly donors’ mails', () => {
  it('are known kinds, in the organisation’s name, with the link in both parts and donor text escaped', () => {
    for (const [kind, data] of [
      ['payment.failed', { ...gift, manageUrl: url }],
      ['card.expiring', { ...gift, manageUrl: url, brand: 'Visa', last4: '4242', expMonth: 1, expYear: 2027 }],
      ['manage.link', { links: [{ campaign: gift.campaign, amount: 2500, currency: 'usd', url }] }],
    ] as const) {
      expect(isMailKind(kind)).toBe(true);
      const m = renderMail(kind, data as never, ctx);
      expect(m.subject).toContain('The Riverside Ledger');
      expect(m.text).toContain(url);
      expect(m.html).toContain(url.replace(/&/g, '&#38;'));
      expect(m.html).not.toContain('<b>Reader</b>');
    }
    expect(renderMail('payment.failed', { ...gift, manageUrl: url }, ctx).text).toContain('$25.00');
    expect(
      renderMail('card.expiring', { ...gift, manageUrl: url, brand: 'Visa', last4: '4242', expMonth: 1, expYear: 2027 }, ctx).text,
    ).toContain('Visa card ending in 4242 expires at the end of 01/2027');
  });

  it('say why a gift ended', () => {
    expect(renderMail('subscription.canceled', { ...gift, reason: 'requested' }, ctx).text).toContain('is canceled, as asked');
    expect(renderMail('subscription.canceled', { ...gift, reason: 'payment_failed' }, ctx).text).toContain('could not charge your card');
  });

  it('a monthly receipt carries its manage link; a one-time receipt none', () => {
    const receipt = {
      number: 7,
      donorName: null,
      amount: 1000,
      currency: 'usd',
      paidAt: '2026-12-02T10:00:00Z',
      campaign: gift.campaign,
      dedication: null,
    };
    expect(renderMail('receipt', { ...receipt, recurring: true, manageUrl: url }, ctx).text).toContain(url);
    expect(renderMail('receipt', { ...receipt, recurring: false, manageUrl: url }, ctx).text).not.toContain(url);
  });
});

describe('signed manage links', () => {
  const signer = new LinkSigner(Buffer.from('k'.repeat(32)), 'https://give.example');
  const other = new LinkSigner(Buffer.from('x'.repeat(32)), 'https://give.example');
  const giftId = '6da436e9-90e6-4db9-983c-5ed14dd8a368';
  const now = new Date('2026-12-02T10:00:00Z');

  it('verify for their gift and purpose until they expire', () => {
    const t = signer.sign('manage', giftId, now);
    expect(signer.verify(t, 'manage', now)).toMatchObject({ ok: true, giftId });
    expect(signer.verify(t, 'manage', new Date(now.getTime() + 61 * 86_400_000))).toMatchObject({ ok: true });
    expect(signer.verify(t, 'manage', new Date(now.getTime() + 62 * 86_400_000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuse another key, a changed gift, expiry or purpose, and junk', () => {
    const t = signer.sign('manage', giftId, now);
    const [p, g, exp, sig] = t.split('.') as [string, string, string, string];
    expect(other.verify(t, 'manage', now)).toEqual({ ok: false, reason: 'invalid' });
    expect(signer.verify([p, g.replace('6', '7'), exp, sig].join('.'), 'manage', now)).toEqual({ ok: false, reason: 'invalid' });
    expect(signer.verify([p, g, String(Number(exp) + 86_400), sig].join('.'), 'manage', now)).toEqual({ ok: false, reason: 'invalid' });
    expect(signer.verify(['statement', g, exp, sig].join('.'), 'manage', now)).toEqual({ ok: false, reason: 'invalid' });
    for (const junk of ['', 'manage', `${t}x`, null, undefined]) expect(signer.verify(junk, 'manage', now).ok).toBe(false);
  });
});
