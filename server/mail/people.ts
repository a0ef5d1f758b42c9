import { button, esc, frame, layout } from './html.js';
import { mailLang } from './i18n.js';
import type { RenderContext, RenderedMail } from './templates.js';

/** Mails of the statements and admin-account work (SPEC §10, §11); registered in templates.ts. */
export interface PeopleMailKinds {
  /** The annual giving statement: a signed link to the PDF (statements/links.ts) and the totals. */
  statement: { year: number; url: string; totals: { currency: string; net: number; payments: number }[] };
  /** An owner invited this address to the admin; the link sets the new admin's own password. */
  'admin.invitation': { token: string; role: string; invitedBy: string | null; expiresAt: string };
  /** Someone asked to reset this admin's password; the link is single-use and short-lived. */
  'admin.password_reset': { token: string; expiresAt: string };
}

const when = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone }).format(new Date(iso));

/** How long a statement link works (statements/links.ts), as the mail says it. */
const STATEMENT_LINK_DAYS = 90;

export function statementMail(d: PeopleMailKinds['statement'], { org, locale }: RenderContext): RenderedMail {
  const L = mailLang(locale);
  const { t } = L;
  const subject = t('statement.subject', { year: d.year, org: org.name });
  const totals = d.totals.map((x) => t('statement.total', { amount: L.money(x.net, x.currency), currency: x.currency, count: x.payments }));
  const intro = t('statement.intro', { org: org.name, year: d.year });
  const keep = t('statement.keep', { count: STATEMENT_LINK_DAYS });
  const text = [
    t('greeting.anon'),
    '',
    intro,
    '',
    ...totals.map((x) => `  ${x}`),
    '',
    t('statement.download'),
    d.url,
    '',
    keep,
    '',
    org.name,
  ].join('\n');
  const html = layout({
    ...frame(org, L.locale),
    title: subject,
    body: `<p>${esc(t('greeting.anon'))}</p>
<p>${esc(intro)}</p>
<ul>${totals.map((x) => `<li><strong>${esc(x)}</strong></li>`).join('')}</ul>
${button(d.url, t('statement.button', { year: d.year }), t('button.copy'))}
<p>${esc(keep)}</p>`,
    footer: esc(t('statement.footer', { org: org.name })),
  });
  return { subject, text, html, headers: {} };
}

export function adminInvitationMail(d: PeopleMailKinds['admin.invitation'], { org, publicUrl }: RenderContext): RenderedMail {
  const url = `${publicUrl}/admin/invite/${encodeURIComponent(d.token)}`;
  const subject = `You are invited to the ${org.name} fundraising admin`;
  const by = d.invitedBy ? `${d.invitedBy} invited you` : 'You were invited';
  const text = [
    'Hello,',
    '',
    `${by} to the Groundswell admin of ${org.name} as ${d.role === 'owner' ? 'an owner' : `an ${d.role}`}.`,
    'Open this page to choose your password and sign in:',
    '',
    url,
    '',
    `The link works once, until ${when(d.expiresAt, org.timeZone)}. If you did not expect this, ignore this e-mail.`,
    '',
    org.name,
  ].join('\n');
  const html = layout({
    orgName: org.name,
    title: subject,
    body: `<p>Hello,</p>
<p>${esc(by)} to the Groundswell admin of <strong>${esc(org.name)}</strong> as ${esc(d.role === 'owner' ? 'an owner' : `an ${d.role}`)}. Open the page below to choose your password and sign in.</p>
${button(url, 'Choose my password')}
<p>The link works once, until ${esc(when(d.expiresAt, org.timeZone))}. If you did not expect this, ignore this e-mail.</p>`,
    footer: `Sent by the admin of ${esc(org.name)}.`,
  });
  return { subject, text, html, headers: {} };
}

export function passwordResetMail(d: PeopleMailKinds['admin.password_reset'], { org, publicUrl }: RenderContext): RenderedMail {
  const url = `${publicUrl}/admin/reset/${encodeURIComponent(d.token)}`;
  const subject = `Reset your ${org.name} admin password`;
  const text = [
    'Hello,',
    '',
    `Someone, hopefully you, asked to reset the password of this address in the admin of ${org.name}.`,
    'Open this page to choose a new password:',
    '',
    url,
    '',
    `The link works once, until ${when(d.expiresAt, org.timeZone)}. If you did not ask for this, ignore this e-mail: your password stays as it is.`,
    '',
    org.name,
  ].join('\n');
  const html = layout({
    orgName: org.name,
    title: subject,
    body: `<p>Hello,</p>
<p>Someone, hopefully you, asked to reset the password of this address in the admin of <strong>${esc(org.name)}</strong>. Open the page below to choose a new password.</p>
${button(url, 'Choose a new password')}
<p>The link works once, until ${esc(when(d.expiresAt, org.timeZone))}. If you did not ask for this, ignore this e-mail: your password stays as it is.</p>`,
    footer: `Sent by the admin of ${esc(org.name)}.`,
  });
  return { subject, text, html, headers: {} };
}
