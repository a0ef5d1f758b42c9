import type { Locale } from '../../common/i18n.js';
import { button, esc, frame, layout } from '../mail/html.js';
import { mailLang } from '../mail/i18n.js';
import type { RenderContext, RenderedMail } from '../mail/templates.js';

/** The one e-mail a pledger receives (SPEC §13): payments are back, here is the link to give. */
export interface PledgeInviteMail {
  token: string;
  name: string | null;
  amount: number;
  currency: string;
  frequency: 'once' | 'monthly';
  campaign: string;
  deleteAfter: string;
  /** The pledger's language (pledges.locale); absent: English. */
  locale?: Locale;
}

export function renderPledgeInvite(d: PledgeInviteMail, { org, publicUrl, locale }: RenderContext): RenderedMail {
  const L = mailLang(d.locale ?? locale);
  const { t } = L;
  const q = `token=${encodeURIComponent(d.token)}`;
  const give = `${publicUrl}/pledge/complete?${q}`;
  const withdraw = `${publicUrl}/pledge/withdraw?${q}`;
  const amount = L.money(d.amount, d.currency);
  const gift = d.frequency === 'monthly' ? t('monthly', { amount }) : amount;
  const until = L.day(d.deleteAfter, org.timeZone);
  const subject = t('pledge.subject', { gift, org: org.name });
  const greeting = d.name ? t('greeting.named', { name: d.name }) : t('greeting.anon');
  const text = [
    greeting,
    '',
    t('pledge.body', { gift, campaign: d.campaign }),
    t('pledge.open'),
    '',
    give,
    '',
    t('pledge.only', { date: until }),
    t('pledge.deleteNow', { url: withdraw }),
    '',
    org.name,
  ].join('\n');
  const html = layout({
    ...frame(org, L.locale),
    title: subject,
    body: `<p>${esc(greeting)}</p>
<p>${esc(t('pledge.body', { gift, campaign: d.campaign }))}</p>
${button(give, t('pledge.button'), t('button.copy'))}
<p>${esc(t('pledge.only', { date: until }))}</p>`,
    footer: `${esc(t('pledge.footer'))} <a href="${esc(withdraw)}" style="color:#5c5c5c;">${esc(t('pledge.deleteLink'))}</a>.`,
  });
  // RFC 8058 one-click: a mail client may POST List-Unsubscribe=One-Click to the withdraw URL.
  return { subject, text, html, headers: { 'List-Unsubscribe': `<${withdraw}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
}
