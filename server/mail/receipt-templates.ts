import { receiptTaxLines } from '../../common/tax.js';
import { button, esc, frame, layout } from './html.js';
import { type MailLang, mailLang } from './i18n.js';
import type { Organisation } from './organisation.js';
import type { MailKinds, ReceiptFigures, RenderContext, RenderedMail } from './templates.js';

/**
 * The receipt and the corrected notice (SPEC §10): in the organisation's name, with its address,
 * the tax-status text its owners wrote (common/tax.ts), the receipt number, the date paid in the
 * organisation's zone, what was charged (covered fees included) in its currency, the campaign and
 * the dedication. Plain text and HTML say the same; the HTML needs no image.
 */

const net = (f: ReceiptFigures) => (f.voided ? 0 : Math.max(0, f.amount - f.refunded - f.lost));

type Row = [label: string, value: string];

/** The tax id rows the chosen status has (a 501(c)(3)'s EIN, the sponsor's), in the receipt's table. */
function taxRows(org: Organisation, { t }: MailLang): Row[] {
  const tax = org.tax;
  if (tax.status === 'us_501c3' && tax.taxId) return [[t('row.ein'), tax.taxId]];
  if (tax.status === 'fiscal_sponsor')
    return [[t('row.sponsor'), tax.sponsorTaxId ? t('row.sponsor.id', { name: tax.sponsorName, id: tax.sponsorTaxId }) : tax.sponsorName]];
  if (tax.status === 'other' && tax.taxId) return [[t('row.taxId'), tax.taxId]];
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
  lang: MailLang;
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
    ...frame(org, opts.lang.locale),
    title: opts.title,
    body: `${para(opts.greeting)}
${opts.intro.map(para).join('\n')}
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;border-collapse:collapse;margin:16px 0;">
${opts.rows.map(([k, v]) => `<tr><td style="padding:${opts.lang.rtl ? '6px 0 6px 12px' : '6px 12px 6px 0'};color:#5c5c5c;border-bottom:1px solid #e5e5e0;vertical-align:top;">${esc(k)}</td><td style="padding:6px 0;border-bottom:1px solid #e5e5e0;font-weight:600;">${esc(v)}</td></tr>`).join('\n')}
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

export function renderReceipt(d: MailKinds['receipt'], { org, locale }: RenderContext): RenderedMail {
  const L = mailLang(locale);
  const { t, money } = L;
  const number = numberOf(d);
  const amount = money(d.amount, d.currency);
  const currency = d.currency.toUpperCase();
  const dedication = d.dedication
    ? t(d.dedication.kind === 'memory' ? 'dedication.memory' : 'dedication.honor', { name: d.dedication.name })
    : null;
  const rows: Row[] = [
    [t('row.number'), String(number)],
    [t('row.datePaid'), L.day(d.paidAt, org.timeZone)],
    [
      t('row.amount'),
      d.coveredFees > 0
        ? t('receipt.amount.fees', { amount, currency, fees: money(d.coveredFees, d.currency) })
        : t('receipt.amount', { amount, currency }),
    ],
    [t('row.campaign'), d.campaign],
    [t('row.gift'), t(d.offline ? 'gift.offline' : d.recurring ? 'gift.monthly' : 'gift.once')],
    ...(dedication ? ([[t('row.dedication'), dedication]] as Row[]) : []),
    [t('row.receivedBy'), org.name],
    ...taxRows(org, L),
  ];
  const corrected = d.corrected
    ? [
        t('receipt.corrected', {
          changes: [
            d.corrected.voided ? t('receipt.corrected.voided') : '',
            d.corrected.refunded ? t('receipt.corrected.refunded', { amount: money(d.corrected.refunded, d.currency) }) : '',
            d.corrected.lost ? t('receipt.corrected.lost', { amount: money(d.corrected.lost, d.currency) }) : '',
          ]
            .filter(Boolean)
            .join(t('list.separator')),
          amount: money(net(d.corrected), d.currency),
        }),
      ]
    : [];
  const intro = d.copy ? [t('receipt.copy.intro', { number, org: org.name }), ...corrected] : [t('receipt.intro', { org: org.name })];
  const subject = d.copy ? t('receipt.copy.subject', { number, org: org.name }) : t('receipt.subject', { org: org.name, amount });
  const greeting = d.donorName ? t('greeting.named', { name: d.donorName }) : t('greeting.anon');
  // The organisation's legal text in the donor's language where it wrote one (common/tax.ts).
  const after = receiptTaxLines(org.tax, L.locale);
  // A monthly gift's receipt carries the donor's signed link to change or cancel it (manage).
  const manage = d.recurring && d.manageUrl ? d.manageUrl : null;
  const manageText = manage ? [t('receipt.manage.text'), manage] : [];
  const text = textDoc({
    greeting,
    intro,
    rows,
    after: [...after, t('receipt.keep'), manageText.join('\n')].filter(Boolean),
    org,
  });
  const html = htmlDoc({
    lang: L,
    title: subject,
    greeting,
    intro,
    rows,
    after,
    action: manage ? `<p>${esc(t('receipt.manage.html'))}</p>\n${button(manage, t('manage.button'), t('button.copy'))}` : '',
    org,
    footer: esc(t('receipt.footer', { number, org: org.name })),
  });
  return { subject, text, html, headers: {} };
}

/** What changed, in the donor's words. */
function changes(d: MailKinds['receipt.correction'], number: number, orgName: string, { t, money }: MailLang): string[] {
  const { before: b, after: a, currency } = d;
  const out: string[] = [];
  if (!b.voided && a.voided) out.push(t('correction.voided', { number }));
  if (b.voided && !a.voided) out.push(t('correction.restored', { number }));
  if (a.amount !== b.amount) out.push(t('correction.amount', { from: money(b.amount, currency), to: money(a.amount, currency) }));
  if (a.refunded > b.refunded) out.push(t('correction.refunded', { amount: money(a.refunded - b.refunded, currency) }));
  if (a.refunded < b.refunded) out.push(t('correction.refundFailed', { amount: money(b.refunded - a.refunded, currency) }));
  if (a.lost > b.lost) out.push(t('correction.lost', { amount: money(a.lost - b.lost, currency) }));
  if (a.lost < b.lost) out.push(t('correction.won', { org: orgName, amount: money(b.lost - a.lost, currency) }));
  return out;
}

export function renderCorrection(d: MailKinds['receipt.correction'], { org, locale }: RenderContext): RenderedMail {
  const L = mailLang(locale);
  const { t, money } = L;
  const number = numberOf(d);
  const now = money(net(d.after), d.currency);
  const rows: Row[] = [
    [t('row.corrects'), String(number)],
    [t('row.datePaid'), L.day(d.paidAt, org.timeZone)],
    [t('row.campaign'), d.campaign],
    [t('row.charged'), t('receipt.amount', { amount: money(d.after.amount, d.currency), currency: d.currency.toUpperCase() })],
    ...(d.after.refunded ? ([[t('row.refunded'), money(d.after.refunded, d.currency)]] as Row[]) : []),
    ...(d.after.lost ? ([[t('row.lost'), money(d.after.lost, d.currency)]] as Row[]) : []),
    ...(d.after.voided ? ([[t('row.status'), t('status.voided')]] as Row[]) : []),
    [t('row.giftNow'), now],
    [t('row.noticeDate'), L.day(d.correctedAt, org.timeZone)],
    [t('row.receivedBy'), org.name],
    ...taxRows(org, L),
  ];
  const subject = t('correction.subject', { number, org: org.name, amount: now });
  const greeting = d.donorName ? t('greeting.named', { name: d.donorName }) : t('greeting.anon');
  const intro = [t('correction.intro', { number, org: org.name }), ...changes(d, number, org.name, L)];
  const after = [t('correction.after', { amount: now, number }), ...receiptTaxLines(org.tax, L.locale)];
  const text = textDoc({ greeting, intro, rows, after, org });
  const html = htmlDoc({
    lang: L,
    title: subject,
    greeting,
    intro,
    rows,
    after,
    org,
    footer: esc(t('correction.footer', { number, org: org.name })),
  });
  return { subject, text, html, headers: {} };
}
