import type { Locale } from '../../common/i18n.js';
import { button, esc, layout } from '../mail/html.js';
import { formatAmount, type RenderContext, type RenderedMail } from '../mail/templates.js';

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

export function renderPledgeInvite(d: PledgeInviteMail, { org, publicUrl }: RenderContext): RenderedMail {
  const q = `token=${encodeURIComponent(d.token)}`;
  const give = `${publicUrl}/pledge/complete?${q}`;
  const withdraw = `${publicUrl}/pledge/withdraw?${q}`;
  const amount = formatAmount(d.amount, d.currency);
  const gift = d.frequency === 'monthly' ? `${amount} a month` : amount;
  const until = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: org.timeZone }).format(new Date(d.deleteAfter));
  const subject = `Online giving is back: complete your pledge of ${gift} to ${org.name}`;
  const greeting = d.name ? `Dear ${d.name},` : 'Hello,';
  const text = [
    greeting,
    '',
    `When online payments were down, you pledged ${gift} to ${d.campaign}. They are working again.`,
    'To complete your gift, open this page and press "Continue to payment":',
    '',
    give,
    '',
    `This is the only e-mail we send about this pledge. If you do nothing, we delete it and your address on ${until}.`,
    `To delete it now: ${withdraw}`,
    '',
    org.name,
  ].join('\n');
  const html = layout({
    orgName: org.name,
    title: subject,
    body: `<p>${esc(greeting)}</p>
<p>When online payments were down, you pledged <strong>${esc(gift)}</strong> to ${esc(d.campaign)}. They are working again.</p>
${button(give, 'Complete my gift')}
<p>This is the only e-mail we send about this pledge. If you do nothing, we delete it and your address on ${esc(until)}.</p>`,
    footer: `You gave us this address for this one e-mail. <a href="${esc(withdraw)}" style="color:#5c5c5c;">Delete my pledge now</a>.`,
  });
  // RFC 8058 one-click: a mail client may POST List-Unsubscribe=One-Click to the withdraw URL.
  return { subject, text, html, headers: { 'List-Unsubscribe': `<${withdraw}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
}
