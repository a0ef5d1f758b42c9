import { esc } from '../mail/html.js';

/**
 * The small server-rendered pages behind links in e-mails (digest confirm/unsubscribe, pledge
 * complete/withdraw): a GET shows a page whose button POSTs (mail scanners open every link, SPEC
 * §10). Styles inline, no script: the page needs none. The token sits in the URL, so no Referer
 * may carry it elsewhere, and nobody may frame the button (clickjacking an unsubscribe).
 * `formAction` adds where a form may send the reader (e.g. Stripe Checkout after a redirect).
 */
export function linkPageHeaders(formAction: string[] = []): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${["'self'", ...formAction].join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Robots-Tag': 'noindex',
  };
}

/** One page in the organisation's name; `body` is trusted HTML the caller escaped. */
export function linkPage(orgName: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · ${esc(orgName)}</title></head>
<body style="margin:0;background:#f4f4f2;font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;">
<main style="max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;">
<p style="margin:0 0 1rem;font-weight:600;color:#5c5c5c;">${esc(orgName)}</p>
<h1 style="font-size:1.5rem;margin:0 0 1rem;">${esc(title)}</h1>
${body}
</main></body></html>`;
}

/** The primary button's inline style. */
export const LINK_PAGE_BUTTON =
  'padding:.7rem 1.2rem;font:inherit;font-weight:600;background:#0b6e4f;color:#fff;border:0;border-radius:6px;cursor:pointer;';
