import { formatMoney } from '../../common/money.js';
import { receiptTaxLines } from '../../common/tax.js';
import { button, esc, frame, layout } from './html.js';
import type { Organisation } from './organisation.js';
import type { MailKinds, ReceiptFigures, RenderContext, RenderedMail } from './templates.js';

/**
 * The receipt and the corrected notice (SPEC §10): in the organisation's name, with its address,
 * the tax-status text its owners wrote (common/tax.ts), the receipt number, the date paid in the
 * organisation's zone, what was charged (covered fees included) in its currency, the campaign and
 * the dedication. Plain text and HTML say the same; the HTML needs no image.
 */

const money = (amount: number, currency: string) => formatMoney(amount, currency.toUpperCase(), { locale: 'en-US', exact: true });
const day = (iso: string, timeZone: string) => new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone }).format(new Date(iso));
const net = (f: ReceiptFigures) => (f.voided ? 0 : Math.max(0, f.amount - f.refunded - f.lost));

type Row = [label: string, value: string];

/** The tax id rows the chosen status has (a 501(c)(3)'s EIN, the sponsor's), in the receipt's table. */
function taxRows(org: Organisation): Row[] {
  const t = org.tax;
  if (t.status === 'us_501c3' && t.taxId) return [['EIN', t.taxId]];
  if (t.status === 'fiscal_sponsor')
    return [['Fiscal sponsor', t.sponsorTaxId ? `${t.sponsorName} (EIN ${t.sponsorTaxId})` : t.sponsorName]];
  if (t.status === 'other' && t.taxId) return [['Tax id', t.taxId]];
  return [];
}

function textDoc(opts: { greeting: string; intro: string[]; rows: Row[]; after: string[]; org: Organisation }): string {
  const { org } = opts;
  return [
    opts.greeting,
    '',
    ...opts.intro,
    '',
    ...opts.rows.map(([k, v]) => `${k}: ${v}`),
    '',
    ...opts.after.flatMap((p) => [p, '']),
    org.name,
    ...(org.address ? org.address.split('\n') : []),
  ].join('\n');
}

function htmlDoc(opts: {
  title: string;
  greeting: string;
  intro: string[];
  rows: Row[];
  after: string[];
  /** Trusted HTML (a button) after the figures. */
  action?: string;
  org: Organisation;
  footer: string;
}) {
  const { org } = opts;
  const para = (p: string) => `<p>${esc(p)}</p>`;
  const address = org.address ? `<br>${esc(org.address).replace(/\n/g, '<br>')}` : '';
  return layout({
    ...frame(org),
    title: opts.title,
    body: `${para(opts.greeting)}
${opts.intro.map(para).join('\n')}
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;border-collapse:collapse;margin:16px 0;">
${opts.rows.map(([k, v]) => `<tr><td style="padding:6px 12px 6px 0;color:#5c5c5c;border-bottom:1px solid #e5e5e0;vertical-align:top;">${esc(k)}</td><td style="padding:6px 0;border-bottom:1px solid #e5e5e0;font-weight:600;">${esc(v)}</td></tr>`).join('\n')}
</table>
${opts.action ?? ''}
${opts.after.map((p) => `<p style="font-size:14px;color:#3c3c3c;">${esc(p)}</p>`).join('\n')}
<p style="margin-top:24px;">${esc(org.name)}${address}</p>`,
    footer: opts.footer,
  });
}

function numberOf(d: { number?: number }): number {
  // The worker assigns it before rendering (receipts.ts): a receipt without one must not go out.
  if (typeof d.number !== 'number') throw new Error('receipt number not assigned');
  return d.number;
}

export function renderReceipt(d: MailKinds['receipt'], { org }: RenderContext): RenderedMail {
  const number = numberOf(d);
  const amount = money(d.amount, d.currency);
  const fees = d.coveredFees > 0 ? ` including ${money(d.coveredFees, d.currency)} you added to help cover processing fees` : '';
  const dedication = d.dedication ? `${d.dedication.kind === 'memory' ? 'In memory of' : 'In honor of'} ${d.dedication.name}` : null;
  const rows: Row[] = [
    ['Receipt number', String(number)],
    ['Date paid', day(d.paidAt, org.timeZone)],
    ['Amount', `${amount} (${d.currency.toUpperCase()})${fees}`],
    ['Campaign', d.campaign],
    ['Gift', d.offline ? 'Received offline (cheque, cash or transfer)' : d.recurring ? 'Monthly' : 'One-time'],
    ...(dedication ? ([['Dedication', dedication]] as Row[]) : []),
    ['Received by', org.name],
    ...taxRows(org),
  ];
  const corrected = d.corrected
    ? [
        `Since this receipt was issued it was corrected: ${[
          d.corrected.voided ? 'the gift was voided' : '',
          d.corrected.refunded ? `${money(d.corrected.refunded, d.currency)} refunded` : '',
          d.corrected.lost ? `${money(d.corrected.lost, d.currency)} returned after a payment dispute` : '',
        ]
          .filter(Boolean)
          .join(', ')}. The amount of your gift is now ${money(net(d.corrected), d.currency)}.`,
      ]
    : [];
  const intro = d.copy
    ? [`This is a copy of receipt ${number} for your gift to ${org.name}, sent again at your request.`, ...corrected]
    : [`Thank you for your gift to ${org.name}. This is your receipt.`];
  const subject = d.copy ? `Copy of your receipt ${number} from ${org.name}` : `Your receipt from ${org.name}: ${amount}`;
  const greeting = d.donorName ? `Dear ${d.donorName},` : 'Hello,';
  const after = receiptTaxLines(org.tax);
  // A monthly gift's receipt carries the donor's signed link to change or cancel it (manage).
  const manage = d.recurring && d.manageUrl ? d.manageUrl : null;
  const manageText = manage ? ['To change the amount, update your card or cancel your monthly gift, open this page:', manage] : [];
  const text = textDoc({
    greeting,
    intro,
    rows,
    after: [...after, 'Please keep this receipt for your records.', manageText.join('\n')].filter(Boolean),
    org,
  });
  const html = htmlDoc({
    title: subject,
    greeting,
    intro,
    rows,
    after,
    action: manage
      ? `<p>You can change the amount, update your card or cancel your monthly gift at any time.</p>\n${button(manage, 'Manage my monthly gift')}`
      : '',
    org,
    footer: `Please keep this e-mail for your records. Receipt ${esc(String(number))} of ${esc(org.name)}.`,
  });
  return { subject, text, html, headers: {} };
}

/** What changed, in the donor's words. */
function changes(d: MailKinds['receipt.correction'], number: number, orgName: string): string[] {
  const { before: b, after: a, currency } = d;
  const out: string[] = [];
  if (!b.voided && a.voided) out.push(`This gift was voided: receipt ${number} no longer stands.`);
  if (b.voided && !a.voided) out.push(`This gift was restored: receipt ${number} stands again.`);
  if (a.amount !== b.amount)
    out.push(`The amount received was corrected from ${money(b.amount, currency)} to ${money(a.amount, currency)}.`);
  if (a.refunded > b.refunded) out.push(`${money(a.refunded - b.refunded, currency)} of this gift was refunded to you.`);
  if (a.refunded < b.refunded)
    out.push(
      `A refund of ${money(b.refunded - a.refunded, currency)} did not go through (it failed or was canceled): that money remains your gift.`,
    );
  if (a.lost > b.lost) out.push(`${money(a.lost - b.lost, currency)} was returned to you through your bank after a payment dispute.`);
  if (a.lost < b.lost)
    out.push(`A payment dispute was reversed in favour of ${orgName}: ${money(b.lost - a.lost, currency)} counts as your gift again.`);
  return out;
}

export function renderCorrection(d: MailKinds['receipt.correction'], { org }: RenderContext): RenderedMail {
  const number = numberOf(d);
  const now = net(d.after);
  const rows: Row[] = [
    ['Corrects receipt number', String(number)],
    ['Date paid', day(d.paidAt, org.timeZone)],
    ['Campaign', d.campaign],
    ['Amount charged', `${money(d.after.amount, d.currency)} (${d.currency.toUpperCase()})`],
    ...(d.after.refunded ? ([['Refunded', money(d.after.refunded, d.currency)]] as Row[]) : []),
    ...(d.after.lost ? ([['Returned after a dispute', money(d.after.lost, d.currency)]] as Row[]) : []),
    ...(d.after.voided ? ([['Status', 'Voided']] as Row[]) : []),
    ['Your gift now', money(now, d.currency)],
    ['Date of this notice', day(d.correctedAt, org.timeZone)],
    ['Received by', org.name],
    ...taxRows(org),
  ];
  const subject = `Corrected receipt ${number} from ${org.name}: your gift is now ${money(now, d.currency)}`;
  const greeting = d.donorName ? `Dear ${d.donorName},` : 'Hello,';
  const intro = [`This notice corrects receipt ${number} for your gift to ${org.name}.`, ...changes(d, number, org.name)];
  const after = [
    `For your records, the amount of this gift is now ${money(now, d.currency)}. This notice replaces the figures of receipt ${number}.`,
    ...receiptTaxLines(org.tax),
  ];
  const text = textDoc({ greeting, intro, rows, after, org });
  const html = htmlDoc({
    title: subject,
    greeting,
    intro,
    rows,
    after,
    org,
    footer: `Please keep this notice with receipt ${esc(String(number))} of ${esc(org.name)}.`,
  });
  return { subject, text, html, headers: {} };
}
