import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { esc } from '../mail/html.js';
import { getOrgSettings } from '../settings/service.js';
import { checkStatementToken } from './links.js';
import { renderStatementPdf } from './pdf.js';
import { hasGiving, statementFor } from './service.js';

const PRIVATE = {
  'Cache-Control': 'private, no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex',
};

const MESSAGES = {
  invalid: 'This statement link is not valid: it may have been copied incompletely.',
  expired: 'This statement link has expired. Ask for a new one from your monthly gift page or by writing to us.',
  unknown: 'There is no statement for this link: no gifts were found for it.',
};

/**
 * GET /statements/<token>: the donor's annual giving statement as a PDF, from a signed, expiring
 * link (links.ts). Reading a statement changes nothing, so a GET may answer it (mail scanners
 * that open the link only download a PDF). The token names the donor and the year; nothing else
 * in the request matters.
 */
export function statementRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  const { db, config, clock } = deps;
  return new Hono().get('/:token', async (c) => {
    const token = c.req.param('token');
    const org = await getOrgSettings(db, config);
    const check =
      token.length <= 200 ? await checkStatementToken(db, org.timeZone, token, clock()) : ({ ok: false, reason: 'invalid' } as const);
    if (!check.ok) {
      const status = check.reason === 'expired' ? 410 : 404;
      return c.html(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement</title></head><body style="font:17px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;"><p style="color:#5c5c5c;font-weight:600;">${esc(org.name || config.orgName)}</p><h1 style="font-size:1.4rem;">Annual giving statement</h1><p>${esc(MESSAGES[check.reason])}</p></body></html>`,
        status,
        { ...PRIVATE, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" },
      );
    }
    const statement = await statementFor(db, config, check.email, check.year);
    if (!hasGiving(statement) && statement.lines.length === 0) {
      return c.html(`<!doctype html><p>${esc(MESSAGES.unknown)}</p>`, 404, PRIVATE);
    }
    const pdf = await renderStatementPdf(statement, { generatedAt: clock() });
    return c.body(new Uint8Array(pdf), 200, {
      ...PRIVATE,
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="giving-statement-${check.year}.pdf"`,
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
  });
}
