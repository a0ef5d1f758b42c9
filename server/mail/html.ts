import { isRtl } from '../../common/i18n.js';
import type { Organisation } from './organisation.js';

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The frame of every HTML mail: one column, system fonts, inline styles only (mail clients drop
 * <style> and block remote images); the only image is the organisation's optional logo, with
 * its name beside it in text, so the mail reads the same with images off.
 */
export function layout(opts: {
  orgName: string;
  title: string;
  body: string;
  footer: string;
  /** The organisation's logo (https), above its name; the name stays as text, so nothing is lost with images off. */
  logoUrl?: string;
  /** The organisation's own footer line (settings), as text, under the mail's footer. */
  orgFooter?: string;
  /** The mail's language (default English): `lang`, and right-to-left layout for Arabic. */
  lang?: string;
}): string {
  const lang = opts.lang ?? 'en';
  // dir on <html> and again on the content cells: some clients drop the <html> element's attributes.
  const dir = isRtl(lang) ? ' dir="rtl"' : '';
  const align = isRtl(lang) ? 'text-align:right;' : '';
  const logo = opts.logoUrl
    ? `<img src="${esc(opts.logoUrl)}" alt="" height="40" style="display:block;height:40px;width:auto;max-width:200px;border:0;margin:0 0 8px 0;">`
    : '';
  const orgFooter = opts.orgFooter ? `<p style="margin:8px 0 0 0;white-space:pre-line;">${esc(opts.orgFooter)}</p>` : '';
  return `<!doctype html>
<html lang="${esc(lang)}"${dir}>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(opts.title)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f2;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f2;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:6px;">
<tr><td${dir} style="${align}padding:20px 24px;border-bottom:1px solid #e5e5e0;font:600 18px/1.3 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b;">${logo}${esc(opts.orgName)}</td></tr>
<tr><td${dir} style="${align}padding:24px;font:16px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b;">
${opts.body}
</td></tr>
<tr><td${dir} style="${align}padding:16px 24px;border-top:1px solid #e5e5e0;font:13px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#5c5c5c;">${opts.footer}${orgFooter}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
}

/** A link styled as a button; the URL is also printed below it for clients that strip styles. */
export function button(href: string, label: string, copyHint = 'Or copy this address into your browser:'): string {
  return `<p style="margin:24px 0;"><a href="${esc(href)}" style="display:inline-block;padding:12px 20px;background:#0b6e4f;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600;">${esc(label)}</a></p>
<p style="font-size:13px;color:#5c5c5c;word-break:break-all;">${esc(copyHint)} <span dir="ltr">${esc(href)}</span></p>`;
}

/** The frame arguments every template passes to layout(): the organisation's name, logo and footer. */
export const frame = (org: Pick<Organisation, 'name' | 'logoUrl' | 'footer'>, lang?: string) => ({
  orgName: org.name,
  logoUrl: org.logoUrl,
  orgFooter: org.footer,
  ...(lang && { lang }),
});
