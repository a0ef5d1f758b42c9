import type { Locale } from '../../common/i18n.js';
import { formatMoney } from '../../common/money.js';
import { button, esc, frame, layout } from './html.js';
import { renderCorrection, renderReceipt } from './receipt-templates.js';
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
   * A paid payment's receipt, queued by the ledger with factKey `receipt:<payment id>` in the
   * transaction that records the payment (receipts.ts), or a copy the admin asked for. The
   * number is not stored: the worker assigns it when it first produces the receipt. amount is
   * what was charged, covered fees included, in minor units.
   */
  receipt: {
    paymentId: number;
    /** Filled in by the worker (receiptNumber) just before rendering; never queued. */
    number?: number;
    donorName: string | null;
    amount: number;
    /** Of amount, what the donor added to help cover processing fees (0: none). */
    coveredFees: number;
    currency: string;
    paidAt: string;
    campaign: string;
    dedication: { kind: 'honor' | 'memory'; name: string } | null;
    recurring: boolean;
    offline: boolean;
    /** A copy the admin resent. */
    copy?: boolean;
    /** On a copy: the figures the corrected notices since then ended at. */
    corrected?: ReceiptFigures | null;
    /**
     * A monthly gift's signed manage link (server/manage/links.ts manageLinkFor), filled in by the
     * worker when it produces the receipt (fresh for 62 days from then); shown under the receipt so the donor can change or cancel the gift.
     */
    manageUrl?: string | null;
    /** The gift, for the manage link of a monthly gift. */
    giftId?: string;
  };
  /**
   * A corrected notice (factKey `receipt.correction:<payment id>:<n>`): the payment's facts
   * changed from what the donor was last told (refund, lost dispute, their reversals, an offline
   * gift corrected or voided). It cites the receipt's number, assigned by the worker like the receipt's.
   */
  'receipt.correction': {
    paymentId: number;
    number?: number;
    ordinal: number;
    donorName: string | null;
    currency: string;
    paidAt: string;
    campaign: string;
    before: ReceiptFigures;
    after: ReceiptFigures;
    correctedAt: string;
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
/** A receipt's money: charged, refunded, lost to disputes, voided (an offline gift). */
export interface ReceiptFigures {
  amount: number;
  refunded: number;
  lost: number;
  voided: boolean;
}
export type MailKind = keyof MailKinds;
export const MAIL_KINDS = [
  'digest.confirm',
  'digest.welcome',
  'receipt',
  'receipt.correction',
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
  /** The donor's language (worker.ts mailLocale); absent: English. Admin mails ignore it. */
  locale?: Locale;
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
      ...frame(org),
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
      ...frame(org),
      title: subject,
      body: `<p>Thank you for confirming: you will receive the daily digest of <strong>${esc(org.name)}</strong> at this address.</p>`,
      footer: `To stop receiving the digest, <a href="${esc(url)}" style="color:#5c5c5c;">unsubscribe</a> (${esc(url)}).`,
    });
    // RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to this URL without showing
    // our page; RFC 2369 requires the angle brackets.
    return { subject, text, html, headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
  },

  receipt: renderReceipt,
  'receipt.correction': renderCorrection,
  ...manageTemplates,
  'pledge.invite': (d, ctx) => renderPledgeInvite(d, ctx),
  statement: statementMail,
  'admin.invitation': adminInvitationMail,
  'admin.password_reset': passwordResetMail,
};

export function isMailKind(kind: string): kind is MailKind {
  return (MAIL_KINDS as readonly string[]).includes(kind);
}

export function renderMail<K extends MailKind>(kind: K, data: MailKinds[K], ctx: RenderContext): RenderedMail {
  const mail = templates[kind](data, ctx);
  // The organisation's own footer line ends every mail's text part (the HTML frame prints it too).
  return ctx.org.footer ? { ...mail, text: `${mail.text}\n\n--\n${ctx.org.footer}` } : mail;
}
