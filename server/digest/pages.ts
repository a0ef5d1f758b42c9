import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../deps.js';
import { esc } from '../mail/html.js';
import { LINK_PAGE_BUTTON, linkPage, linkPageHeaders } from '../site/link-page.js';
import { organisation } from '../mail/organisation.js';
import { confirm, unsubscribe } from './service.js';
import { peekToken, TOKEN_PATTERN } from './tokens.js';

/** The shared e-mail link page (server/site/link-page.ts): inline styles, no script, no Referer, no framing. */
const HEADERS = linkPageHeaders();
const page = linkPage;
const BUTTON = LINK_PAGE_BUTTON;
const INVALID =
  '<p>This link is not valid any more: it has expired, was already used, or was copied incompletely. To sign up again, use the form on our site.</p>';

/** The token from ?token= or a posted form field; anything not shaped like a token is none. */
function tokenOf(v: unknown): string | null {
  return typeof v === 'string' && TOKEN_PATTERN.test(v) ? v : null;
}

/**
 * /digest/confirm and /digest/unsubscribe: the links in digest mails. A GET only shows a page
 * whose button POSTs, because mail scanners open every link in a mail (SPEC §10). The unsubscribe
 * POST also takes RFC 8058's one-click request: a mail client POSTs `List-Unsubscribe=One-Click`
 * to the List-Unsubscribe URL (token in the query), without cookies or our page.
 */
export function digestPageRoutes(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>) {
  const { db, config, clock } = deps;
  const orgName = async () => (await organisation(db, config)).name;
  const limit = bodyLimit({ maxSize: 4 * 1024, onError: (c) => c.body('Request body is too large', 413) });

  const postedToken = async (c: { req: { query(k: string): string | undefined; parseBody(): Promise<Record<string, unknown>> } }) => {
    const fromQuery = tokenOf(c.req.query('token'));
    if (fromQuery) return fromQuery;
    try {
      return tokenOf((await c.req.parseBody()).token);
    } catch {
      return null;
    }
  };

  return new Hono()
    .get('/confirm', async (c) => {
      const name = await orgName();
      const token = tokenOf(c.req.query('token'));
      const t = token ? await peekToken(db, token, 'confirm', clock()) : undefined;
      if (!token || !t || t.status === 'unsubscribed' || (t.used_at && t.status !== 'confirmed')) {
        return c.body(page(name, 'Link not valid', INVALID), 400, HEADERS);
      }
      if (t.status === 'confirmed') {
        return c.body(
          page(name, 'Already confirmed', '<p>This address already receives the daily digest. Nothing more to do.</p>'),
          200,
          HEADERS,
        );
      }
      return c.body(
        page(
          name,
          'Confirm your subscription',
          `<p>Press the button to start receiving the daily digest of ${esc(name)} at this address.</p>
<form method="post" action="/digest/confirm"><input type="hidden" name="token" value="${esc(token)}"><button type="submit" style="${BUTTON}">Confirm my subscription</button></form>`,
        ),
        200,
        HEADERS,
      );
    })
    .post('/confirm', limit, async (c) => {
      const name = await orgName();
      const token = await postedToken(c);
      const outcome = token ? await confirm(db, token, clock()) : 'invalid';
      if (outcome === 'invalid') return c.body(page(name, 'Link not valid', INVALID), 400, HEADERS);
      return c.body(
        page(
          name,
          'You are subscribed',
          `<p>Thank you: the daily digest of ${esc(name)} will come to this address. Every digest has a link to unsubscribe.</p>`,
        ),
        200,
        HEADERS,
      );
    })
    .get('/unsubscribe', async (c) => {
      const name = await orgName();
      const token = tokenOf(c.req.query('token'));
      const t = token ? await peekToken(db, token, 'unsubscribe', clock()) : undefined;
      if (!token || !t) return c.body(page(name, 'Link not valid', INVALID), 400, HEADERS);
      if (t.status === 'unsubscribed') {
        return c.body(page(name, 'You are unsubscribed', '<p>This address no longer receives the daily digest.</p>'), 200, HEADERS);
      }
      return c.body(
        page(
          name,
          'Unsubscribe from the daily digest',
          `<p>Press the button and this address will no longer receive the daily digest of ${esc(name)}.</p>
<form method="post" action="/digest/unsubscribe?token=${esc(encodeURIComponent(token))}"><button type="submit" style="${BUTTON}">Unsubscribe</button></form>`,
        ),
        200,
        HEADERS,
      );
    })
    .post('/unsubscribe', limit, async (c) => {
      const name = await orgName();
      const token = await postedToken(c);
      const outcome = token ? await unsubscribe(db, token, clock()) : 'invalid';
      if (outcome === 'invalid') return c.body(page(name, 'Link not valid', INVALID), 400, HEADERS);
      return c.body(
        page(name, 'You are unsubscribed', '<p>This address will no longer receive the daily digest. Sorry to see you go.</p>'),
        200,
        HEADERS,
      );
    });
}
