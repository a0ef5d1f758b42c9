import { formatMoney } from '../../common/money.js';
import { button, esc, layout } from './html.js';
import type { RenderContext, RenderedMail } from './templates.js';

const formatAmount = (amount: number, currency: string) => formatMoney(amount, currency.toUpperCase(), { locale: 'en-US', exact: true });

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

export function statementMail(d: PeopleMailKinds['statement'], { org }: RenderContext): RenderedMail {
  const subject = `Your ${d.year} giving statement from ${org.name}`;
  const totals = d.totals.map(
    (t) => `${formatAmount(t.net, t.currency)} (${t.currency}, ${t.payments} payment${t.payments === 1 ? '' : 's'})`,
  );
  const text = [
    'Hello,',
    '',
    `Thank you for supporting ${org.name} in ${d.year}. Your annual giving statement lists every gift you made that year, net of refunds:`,
    '',
    ...totals.map((t) => `  ${t}`),
    '',
    'Download the statement (PDF):',
    d.url,
    '',
    'The link works for 90 days. Please keep the statement with your records.',
    '',
    org.name,
  ].join('\n');
  const html = layout({
    orgName: org.name,
    title: subject,
    body: `<p>Hello,</p>
<p>Thank you for supporting ${esc(org.name)} in ${d.year}. Your annual giving statement lists every gift you made that year, net of refunds:</p>
<ul>${totals.map((t) => `<li><strong>${esc(t)}</strong></li>`).join('')}</ul>
${button(d.url, `Download my ${d.year} statement (PDF)`)}
<p>The link works for 90 days. Please keep the statement with your records.</p>`,
    footer: `You receive this once a year because you gave to ${esc(org.name)} with this address.`,
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
