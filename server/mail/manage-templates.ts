import { button, esc, frame, layout } from './html.js';
import { type MailLang, mailLang } from './i18n.js';
import type { GiftMailBase, MailKinds, RenderContext, RenderedMail } from './templates.js';

/** The mails of monthly donors' self-service (SPEC §10); every link opens a page, none acts. */
type ManageKind = 'manage.link' | 'subscription.canceled' | 'payment.failed' | 'card.expiring';

/** How long a manage link works (server/manage/links.ts), as the mails say it. */
const LINK_DAYS = 62;

const monthly = ({ t, money }: MailLang, g: { amount: number; currency: string }) => t('monthly', { amount: money(g.amount, g.currency) });
const greeting = ({ t }: MailLang, name: string | null) => (name ? t('greeting.named', { name }) : t('greeting.anon'));

function mail(
  ctx: RenderContext,
  L: MailLang,
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
    ...frame(ctx.org, L.locale),
    title: subject,
    body: [
      ...paragraphs.map((p) => `<p>${esc(p)}</p>`),
      action ? button(action.url, action.label, L.t('button.copy')) : '',
      ...after.map((p) => `<p>${esc(p)}</p>`),
    ].join('\n'),
    footer: esc(footer),
  });
  return { subject, text, html, headers: {} };
}

export const manageTemplates: { [K in ManageKind]: (data: MailKinds[K], ctx: RenderContext) => RenderedMail } = {
  'manage.link': ({ links }, ctx) => {
    const L = mailLang(ctx.locale);
    const { t } = L;
    const org = ctx.org.name;
    const subject = t('manageLink.subject', { org });
    const paragraphs = [t('greeting.anon'), t('manageLink.intro', { org })];
    if (links.length === 1) {
      const l = links[0]!;
      return mail(
        ctx,
        L,
        subject,
        [...paragraphs, t('manageLink.one', { monthly: monthly(L, l), campaign: l.campaign })],
        { url: l.url, label: t('manage.button') },
        t('manageLink.one.footer', { count: LINK_DAYS }),
      );
    }
    const item = (l: (typeof links)[number]) => t('manageLink.item', { monthly: monthly(L, l), campaign: l.campaign });
    const list = links.map((l, i) => `${i + 1}. ${item(l)}: ${l.url}`);
    const text = [...paragraphs, t('manageLink.several'), '', ...list, '', org].join('\n');
    const html = layout({
      ...frame(ctx.org, L.locale),
      title: subject,
      body: `${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}
<p>${esc(t('manageLink.several'))}</p>
${links.map((l) => `<p><strong>${esc(item(l))}</strong></p>${button(l.url, t('manageLink.item.button'), t('button.copy'))}`).join('\n')}`,
      footer: esc(t('manageLink.several.footer', { count: LINK_DAYS })),
    });
    return { subject, text, html, headers: {} };
  },

  'subscription.canceled': (d, ctx) => {
    const L = mailLang(ctx.locale);
    const { t } = L;
    const org = ctx.org.name;
    const vars = { monthly: monthly(L, d), campaign: d.campaign };
    return mail(
      ctx,
      L,
      t('canceled.subject', { org }),
      [
        greeting(L, d.donorName),
        t(d.reason === 'payment_failed' ? 'canceled.failed' : 'canceled.requested', vars),
        t('canceled.thanks', { org }),
      ],
      null,
      t('canceled.footer', { org }),
      d.reason === 'payment_failed' ? [t('canceled.restart')] : [],
    );
  },

  'payment.failed': (d, ctx) => {
    const L = mailLang(ctx.locale);
    const { t } = L;
    const org = ctx.org.name;
    return mail(
      ctx,
      L,
      t('failed.subject', { org }),
      [greeting(L, d.donorName), t('failed.body', { amount: L.money(d.amount, d.currency), campaign: d.campaign }), t('failed.update')],
      { url: d.manageUrl, label: t('card.button') },
      t('gift.footer', { org, count: LINK_DAYS }),
    );
  },

  'card.expiring': (d, ctx) => {
    const L = mailLang(ctx.locale);
    const { t } = L;
    const org = ctx.org.name;
    const card = d.brand && d.last4 ? t('expiring.card', { brand: d.brand, last4: d.last4 }) : t('expiring.card.unknown');
    return mail(
      ctx,
      L,
      t('expiring.subject', { org }),
      [
        greeting(L, d.donorName),
        t('expiring.body', {
          card,
          month: String(d.expMonth).padStart(2, '0'),
          year: d.expYear,
          monthly: monthly(L, d),
          campaign: d.campaign,
        }),
        t('expiring.update'),
      ],
      { url: d.manageUrl, label: t('card.button') },
      t('gift.footer', { org, count: LINK_DAYS }),
    );
  },
};
