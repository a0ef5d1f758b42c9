import { formatMoney } from '../../common/money.js';
import { button, esc, layout } from './html.js';
import type { Organisation } from './organisation.js';
import { manageTemplates } from './manage-templates.js';
import { type PledgeInviteMail, renderPledgeInvite } from '../giving/mail.js';
import { adminInvitationMail, type PeopleMailKinds, passwordResetMail, statementMail } from './people.js';

/**
 * Every kind of mail and the data its fact stores. The data is what the worker renders from, so it
 * holds no secrets beyond the one-purpose tokens the mail itself carries.
 */
export interface MailKinds extends PeopleMailKinds {
  /** Double opt-in: sent on sign-up; the link opens a page whose button confirms. */
  'digest.confirm': { token: string };
  /** After confirmation; carries the one-click unsubscribe link (RFC 8058). */
  'digest.welcome': { unsubscribeToken: string };
  /**
   * A paid payment's receipt (the ledger queues it with factKey `receipt:<payment id>` and the
   * number from receipts.ts). amount is what was charged, covered fees included, in minor units.
   */
  receipt: {
    number: number;
    donorName: string | null;
    amount: number;
    currency: string;
    paidAt: string;
    campaign: string;
    dedication: { kind: 'honor' | 'memory'; name: string } | null;
    recurring: boolean;
    /**
     * A monthly gift's signed manage link (server/manage/links.ts manageLinkFor), made when the
     * receipt is queued; shown under the receipt so the donor can change or cancel the gift.
     */
    manageUrl?: string | null;
  };
  /** "Send me my link": the manage links of every live monthly gift of the address on file. */
  'manage.link': { links: ManagedGiftLink[] };
  /** Payments are back: the one e-mail to a pledger (server/giving/pledges.ts invitePledgers). */
  'pledge.invite': PledgeInviteMail;
  /** A monthly gift ended (by the donor, the organisation, or after failed payments). */
  'subscription.canceled': GiftMailBase & { reason: 'requested' | 'payment_failed' | 'other' };
  /** A renewal could not be charged: the link opens the manage page to update the card. */
  'payment.failed': GiftMailBase & { manageUrl: string };
  /** The card of a monthly gift expires before its next payment. */
  'card.expiring': GiftMailBase & { manageUrl: string; brand: string | null; last4: string | null; expMonth: number; expYear: number };
}

/** What every mail about one monthly gift says about it. */
export interface GiftMailBase {
  donorName: string | null;
  campaign: string;
  /** Per month, in minor units. */
  amount: number;
  currency: string;
}

export interface ManagedGiftLink {
  campaign: string;
  amount: number;
  currency: string;
  url: string;
}
export type MailKind = keyof MailKinds;
export const MAIL_KINDS = [
  'digest.confirm',
  'digest.welcome',
  'receipt',
  'manage.link',
  'subscription.canceled',
  'payment.failed',
  'card.expiring',
  'pledge.invite',
  'statement',
  'admin.invitation',
  'admin.password_reset',
] as const satisfies readonly MailKind[];

export interface RenderContext {
  org: Organisation;
  /** PUBLIC_URL without a trailing slash: every link in a mail is absolute. */
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  headers: Record<string, string>;
}

/** Minor units → "$1,234.50" (the currency's own number of decimals, always shown on a receipt). */
export function formatAmount(amount: number, currency: string): string {
  return formatMoney(amount, currency.toUpperCase(), { locale: 'en-US', exact: true });
}

type Templates = { [K in MailKind]: (data: MailKinds[K], ctx: RenderContext) => RenderedMail };

const templates: Templates = {
  'digest.confirm': ({ token }, { org, publicUrl }) => {
    const url = `${publicUrl}/digest/confirm?token=${encodeURIComponent(token)}`;
    const subject = `Please confirm your subscription to the daily digest of ${org.name}`;
    const text = [
      `Hello,`,
      ``,
      `Someone, hopefully you, asked to receive the daily digest of ${org.name} at this address.`,
      `To confirm, open this page and press "Confirm my subscription":`,
      ``,
      url,
      ``,
      `The link works for 7 days. If you did not ask for this, ignore this e-mail: without your`,
      `confirmation you will not receive anything from us.`,
      ``,
      `${org.name}`,
    ].join('\n');
    const html = layout({
      orgName: org.name,
      title: subject,
      body: `<p>Hello,</p>
<p>Someone, hopefully you, asked to receive the daily digest of <strong>${esc(org.name)}</strong> at this address. To confirm, open the page below and press “Confirm my subscription”.</p>
${button(url, 'Confirm my subscription')}
<p>The link works for 7 days. If you did not ask for this, ignore this e-mail: without your confirmation you will not receive anything from us.</p>`,
      footer: `You received this one e-mail because this address was entered in the digest sign-up form of ${esc(org.name)}.`,
    });
    return { subject, text, html, headers: {} };
  },

  'digest.welcome': ({ unsubscribeToken }, { org, publicUrl }) => {
    const url = `${publicUrl}/digest/unsubscribe?token=${encodeURIComponent(unsubscribeToken)}`;
    const subject = `You are subscribed to the daily digest of ${org.name}`;
    const text = [
      `Thank you for confirming: you will receive the daily digest of ${org.name} at this address.`,
      ``,
      `To unsubscribe at any time, open this page and press "Unsubscribe":`,
      url,
      ``,
      `${org.name}`,
    ].join('\n');
    const html = layout({
      orgName: org.name,
      title: subject,
      body: `<p>Thank you for confirming: you will receive the daily digest of <strong>${esc(org.name)}</strong> at this address.</p>`,
      footer: `To stop receiving the digest, <a href="${esc(url)}" style="color:#5c5c5c;">unsubscribe</a> (${esc(url)}).`,
    });
    // RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to this URL without showing
    // our page; RFC 2369 requires the angle brackets.
    return { subject, text, html, headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
  },

  receipt: (d, ctx) => receipt(d, ctx),
  ...manageTemplates,
  'pledge.invite': (d, ctx) => renderPledgeInvite(d, ctx),
  statement: statementMail,
  'admin.invitation': adminInvitationMail,
  'admin.password_reset': passwordResetMail,
};

function receipt(d: MailKinds['receipt'], { org }: RenderContext): RenderedMail {
  const manage = d.recurring && d.manageUrl ? d.manageUrl : null;
  const amount = formatAmount(d.amount, d.currency);
  const paid = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: org.timeZone }).format(new Date(d.paidAt));
  const dedication = d.dedication ? `${d.dedication.kind === 'memory' ? 'In memory of' : 'In honor of'} ${d.dedication.name}` : null;
  const rows: [string, string][] = [
    ['Receipt number', String(d.number)],
    ['Date paid', paid],
    ['Amount', `${amount} (${d.currency.toUpperCase()})`],
    ['Campaign', d.campaign],
    ...(d.recurring ? ([['Gift', 'Monthly']] as [string, string][]) : []),
    ...(dedication ? ([['Dedication', dedication]] as [string, string][]) : []),
  ];
  const subject = `Your receipt from ${org.name}: ${amount}`;
  const greeting = d.donorName ? `Dear ${d.donorName},` : 'Hello,';
  const text = [
    greeting,
    '',
    `Thank you for your gift to ${org.name}. This is your receipt.`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    ...(manage ? ['To change the amount, update your card or cancel your monthly gift, open this page:', manage, ''] : []),
    org.name,
  ].join('\n');
  const html = layout({
    orgName: org.name,
    title: subject,
    body: `<p>${esc(greeting)}</p>
<p>Thank you for your gift to ${esc(org.name)}. This is your receipt.</p>
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;border-collapse:collapse;margin:16px 0;">
${rows.map(([k, v]) => `<tr><td style="padding:6px 12px 6px 0;color:#5c5c5c;border-bottom:1px solid #e5e5e0;">${esc(k)}</td><td style="padding:6px 0;border-bottom:1px solid #e5e5e0;font-weight:600;">${esc(v)}</td></tr>`).join('\n')}
</table>${manage ? `\n<p>You can change the amount, update your card or cancel your monthly gift at any time.</p>\n${button(manage, 'Manage my monthly gift')}` : ''}`,
    footer: `Please keep this e-mail for your records. Receipt ${esc(String(d.number))} of ${esc(org.name)}.`,
  });
  return { subject, text, html, headers: {} };
}

export function isMailKind(kind: string): kind is MailKind {
  return (MAIL_KINDS as readonly string[]).includes(kind);
}

export function renderMail<K extends MailKind>(kind: K, data: MailKinds[K], ctx: RenderContext): RenderedMail {
  return templates[kind](data, ctx);
}
