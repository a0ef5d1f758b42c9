import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { clientIp } from '../lib/client-ip.js';
import { esc } from '../mail/html.js';
import { LINK_PAGE_BUTTON, linkPage, linkPageHeaders } from '../site/link-page.js';
import { organisation } from '../mail/organisation.js';
import { formatAmount } from '../mail/templates.js';
import { completePledge, findPledgeByToken, PLEDGE_TOKEN, withdrawPledge } from './pledges.js';

/**
 * /pledge/complete and /pledge/withdraw: the links of the pledge e-mail. A GET only shows a page
 * whose button POSTs (mail scanners open every link, SPEC §10); the POST makes a fresh Checkout
 * Session and sends the donor there (303). Withdraw also takes RFC 8058's one-click POST.
 * The form's redirect goes to Stripe's checkout: form-action allows it (CSP applies to redirects).
 */
const HEADERS = linkPageHeaders(['https://checkout.stripe.com']);
const page = linkPage;
const BUTTON = LINK_PAGE_BUTTON;
const LINK_BUTTON =
  'padding:.5rem .9rem;font:inherit;background:transparent;color:#1b1b1b;border:1px solid #999;border-radius:6px;cursor:pointer;';
const INVALID =
  '<p>This link is not valid any more: the pledge was completed, deleted, or has passed its deletion date. You can still give from our donate page.</p>';

const tokenOf = (v: unknown): string | null => (typeof v === 'string' && PLEDGE_TOKEN.test(v) ? v : null);

export function pledgePageRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const orgName = async () => (await organisation(db, config)).name;
  const limit = bodyLimit({ maxSize: 4 * 1024, onError: (c) => c.body('Request body is too large', 413) });
  const postedToken = async (c: { req: { query(k: string): string | undefined; parseBody(): Promise<Record<string, unknown>> } }) => {
    const q = tokenOf(c.req.query('token'));
    if (q) return q;
    try {
      return tokenOf((await c.req.parseBody()).token);
    } catch {
      return null;
    }
  };

  return new Hono()
    .get('/complete', async (c) => {
      const name = await orgName();
      const token = tokenOf(c.req.query('token'));
      const p = token ? await findPledgeByToken(db, token, clock()) : undefined;
      if (!token || !p) return c.body(page(name, 'Link not valid', INVALID), 404, HEADERS);
      if (p.converted) return c.body(page(name, 'Thank you!', '<p>This pledge has already become a gift. Thank you!</p>'), 200, HEADERS);
      const gift = `${formatAmount(p.amount, p.currency)}${p.frequency === 'monthly' ? ' a month' : ''}`;
      const t = esc(encodeURIComponent(token));
      return c.body(
        page(
          name,
          'Complete your gift',
          `<p>You pledged <strong>${esc(gift)}</strong> to ${esc(p.title)}. Press the button to continue to the secure payment page.</p>
<form method="post" action="/pledge/complete?token=${t}"><button type="submit" style="${BUTTON}">Continue to payment</button></form>
<form method="post" action="/pledge/withdraw?token=${t}" style="margin-top:1.5rem;"><button type="submit" style="${LINK_BUTTON}">No thanks, delete my pledge</button></form>`,
        ),
        200,
        HEADERS,
      );
    })
    .post('/complete', limit, async (c) => {
      const name = await orgName();
      const token = await postedToken(c);
      if (!token) return c.body(page(name, 'Link not valid', INVALID), 404, HEADERS);
      try {
        const checkout = await completePledge(deps, token, clientIp(c, config.trustProxy));
        return c.redirect(checkout.url, 303);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const title = err.status === 404 ? 'Link not valid' : err.code === 'already_given' ? 'Thank you!' : 'Not possible right now';
        return c.body(page(name, title, err.status === 404 ? INVALID : `<p>${esc(err.message)}</p>`), err.status, HEADERS);
      }
    })
    .get('/withdraw', async (c) => {
      const name = await orgName();
      const token = tokenOf(c.req.query('token'));
      if (!token) return c.body(page(name, 'Link not valid', INVALID), 404, HEADERS);
      return c.body(
        page(
          name,
          'Delete your pledge',
          `<p>Press the button and we delete your pledge and your e-mail address now.</p>
<form method="post" action="/pledge/withdraw?token=${esc(encodeURIComponent(token))}"><button type="submit" style="${BUTTON}">Delete my pledge</button></form>`,
        ),
        200,
        HEADERS,
      );
    })
    .post('/withdraw', limit, async (c) => {
      const name = await orgName();
      const token = await postedToken(c);
      if (token) await withdrawPledge(db, token);
      // Answered the same whether or not it existed: the page tells nobody which tokens were valid.
      return c.body(
        page(name, 'Pledge deleted', '<p>Your pledge and your e-mail address are deleted. Thank you for your support.</p>'),
        200,
        HEADERS,
      );
    });
}
