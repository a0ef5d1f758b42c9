import { formatMoney } from '../../common/money.js';
import { button, esc, layout } from './html.js';
import type { GiftMailBase, MailKinds, RenderContext, RenderedMail } from './templates.js';

/** The mails of monthly donors' self-service (SPEC §10); every link opens a page, none acts. */
type ManageKind = 'manage.link' | 'subscription.canceled' | 'payment.failed' | 'card.expiring';

const money = (amount: number, currency: string) => formatMoney(amount, currency.toUpperCase(), { locale: 'en-US', exact: true });
const monthly = (g: GiftMailBase) => `${money(g.amount, g.currency)} a month`;
const greeting = (name: string | null) => (name ? `Dear ${name},` : 'Hello,');

function mail(
  ctx: RenderContext,
  subject: string,
  paragraphs: string[],
  action: { url: string; label: string } | null,
  footer: string,
  after: string[] = [],
): RenderedMail {
  const text = [
    ...paragraphs.flatMap((p) => [p, '']),
    ...(action ? [`${action.label}:`, action.url, ''] : []),
    ...after.flatMap((p) => [p, '']),
    ctx.org.name,
  ].join('\n');
  const html = layout({
    orgName: ctx.org.name,
    title: subject,
    body: [
      ...paragraphs.map((p) => `<p>${esc(p)}</p>`),
      action ? button(action.url, action.label) : '',
      ...after.map((p) => `<p>${esc(p)}</p>`),
    ].join('\n'),
    footer: esc(footer),
  });
  return { subject, text, html, headers: {} };
}

export const manageTemplates: { [K in ManageKind]: (data: MailKinds[K], ctx: RenderContext) => RenderedMail } = {
  'manage.link': ({ links }, ctx) => {
    const subject = `Your link to manage your monthly gift to ${ctx.org.name}`;
    const paragraphs = [
      'Hello,',
      `You asked for a link to manage your monthly gift to ${ctx.org.name}. On the page it opens you can see your next payment, change the amount, update your card or cancel.`,
    ];
    if (links.length === 1) {
      const l = links[0]!;
      return mail(
        ctx,
        subject,
        [...paragraphs, `Your gift: ${money(l.amount, l.currency)} a month to ${l.campaign}.`],
        { url: l.url, label: 'Manage my monthly gift' },
        'The link works for 62 days and only for this gift. If you did not ask for it, you can ignore this e-mail: nothing changes unless you press a button on that page.',
      );
    }
    const list = links.map((l, i) => `${i + 1}. ${money(l.amount, l.currency)} a month to ${l.campaign}: ${l.url}`);
    const text = [...paragraphs, 'You have several monthly gifts; each has its own link:', '', ...list, '', ctx.org.name].join('\n');
    const html = layout({
      orgName: ctx.org.name,
      title: subject,
      body: `${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}
<p>You have several monthly gifts; each has its own link:</p>
${links.map((l) => `<p><strong>${esc(money(l.amount, l.currency))} a month to ${esc(l.campaign)}</strong></p>${button(l.url, 'Manage this gift')}`).join('\n')}`,
      footer: esc(
        'Each link works for 62 days. If you did not ask for these, ignore this e-mail: nothing changes unless you press a button.',
      ),
    });
    return { subject, text, html, headers: {} };
  },

  'subscription.canceled': (d, ctx) => {
    const why =
      d.reason === 'payment_failed'
        ? `Your monthly gift of ${monthly(d)} to ${d.campaign} has ended because we could not charge your card after several attempts.`
        : `Your monthly gift of ${monthly(d)} to ${d.campaign} is canceled, as asked. No further payments will be taken.`;
    return mail(
      ctx,
      `Your monthly gift to ${ctx.org.name} is canceled`,
      [
        greeting(d.donorName),
        why,
        `Thank you for everything you have given to ${ctx.org.name}. Your receipts stay valid for your records.`,
      ],
      null,
      `You received this e-mail because a monthly gift to ${ctx.org.name} was made with this address.`,
      d.reason === 'payment_failed'
        ? ['If you would like to keep giving, you are welcome to start a new gift on our site at any time.']
        : [],
    );
  },

  'payment.failed': (d, ctx) =>
    mail(
      ctx,
      `We could not charge your monthly gift to ${ctx.org.name}`,
      [
        greeting(d.donorName),
        `This month's payment of ${money(d.amount, d.currency)} for your monthly gift to ${d.campaign} did not go through. This often happens when a card has expired or was replaced.`,
        'You can update your card on the page below; we will try the payment again.',
      ],
      { url: d.manageUrl, label: 'Update my card' },
      `You received this e-mail because of your monthly gift to ${ctx.org.name}. The link works for 62 days and only for this gift.`,
    ),

  'card.expiring': (d, ctx) => {
    const card = d.brand && d.last4 ? `Your ${d.brand} card ending in ${d.last4}` : 'The card of your monthly gift';
    return mail(
      ctx,
      `Your card for your monthly gift to ${ctx.org.name} expires soon`,
      [
        greeting(d.donorName),
        `${card} expires at the end of ${String(d.expMonth).padStart(2, '0')}/${d.expYear}. Your monthly gift of ${monthly(d)} to ${d.campaign} will need a valid card to continue.`,
        'You can update your card on the page below.',
      ],
      { url: d.manageUrl, label: 'Update my card' },
      `You received this e-mail because of your monthly gift to ${ctx.org.name}. The link works for 62 days and only for this gift.`,
    );
  },
};
