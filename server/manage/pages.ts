import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { formatMoney, parseMoney } from '../../common/money.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter } from '../lib/rate-limit.js';
import { esc } from '../mail/html.js';
import { organisation } from '../mail/organisation.js';
import { TEST_MODE_NOTE } from '../site/test-mode.js';
import { LINK_TOKEN_PATTERN, linkSigner } from './links.js';
import {
  CANCEL_FEEDBACK,
  type CancelFeedback,
  type ManagedGift,
  type SubscriptionView,
  applyCardSetup,
  cancelGift,
  changeAmount,
  findManagedGift,
  mailManageLinks,
  startCardUpdate,
  viewSubscription,
} from './service.js';

/**
 * /manage: a monthly donor's page, opened from the signed link in every receipt, on /thanks and
 * in the failed-payment and expiring-card mails. No account and no cookie: the signed token is
 * the credential, carried in the URL of the page and in a hidden field of each form. A GET only
 * shows (mail scanners open every link); each change is a POST whose body must hold the token, so
 * a forged cross-site form cannot act without it, and cross-site POSTs are refused outright
 * (Origin / Sec-Fetch-Site). Server-rendered, no script.
 *
 * More sections (the annual statement download, say) join through `sections`: each renders a
 * block of the page for the verified gift and token.
 */
export interface ManageSectionContext {
  gift: ManagedGift;
  view: SubscriptionView;
  /** The verified token: put it in a hidden field or a query string of the section's own links. */
  token: string;
  publicUrl: string;
}
export type ManageSection = (ctx: ManageSectionContext) => string | Promise<string>;

/** Where hosted Checkout (update card) lives: the form's redirect goes there (CSP form-action). */
const STRIPE_CHECKOUT_ORIGIN = 'https://checkout.stripe.com';

const BUTTON = 'padding:.6rem 1.1rem;font:inherit;font-weight:600;background:#0b6e4f;color:#fff;border:0;border-radius:6px;cursor:pointer;';
const QUIET = 'padding:.6rem 1.1rem;font:inherit;background:#fff;color:#a61b1b;border:1px solid #a61b1b;border-radius:6px;cursor:pointer;';
const INPUT = 'font:inherit;padding:.45rem;border:1px solid #8a929c;border-radius:4px;';
const SECTION = 'margin:1.5rem 0 0;padding-top:1.25rem;border-top:1px solid #e5e5e0;';

export function managePageRoutes(deps: AppDeps, opts: { sections?: ManageSection[] } = {}) {
  const { db, config, clock, stripe, log } = deps;
  const sections = opts.sections ?? [];
  const own = new URL(config.publicUrl).origin;
  const formTargets = new Set(["'self'", STRIPE_CHECKOUT_ORIGIN]);
  if (config.stripeApiBase) formTargets.add(new URL(config.stripeApiBase).origin);
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    // The token is in the URL: no Referer may carry it away, no frame may hold the buttons.
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${[...formTargets].join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'X-Robots-Tag': 'noindex',
  };
  // "Send me my link": a few per address per hour (an inbox cannot be flooded through us), and
  // per connection (nobody sprays the form with addresses).
  const perAddress = createLimiter(db, { keyPrefix: 'manage-link-address', points: 3, durationSeconds: 3600 });
  const perIp = createLimiter(db, { keyPrefix: 'manage-link-ip', points: 20, durationSeconds: 600 });
  const limit = bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.body('Request body is too large', 413) });

  const render = async (c: Context, status: 200 | 400 | 403 | 404 | 409 | 429 | 502, title: string, body: string) => {
    const org = (await organisation(db, config)).name;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)} · ${esc(org)}</title></head>
<body style="margin:0;background:#f4f4f2;font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;">
${config.testMode ? TEST_MODE_NOTE : ''}
<main style="max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;">
<p style="margin:0 0 1rem;font-weight:600;color:#5c5c5c;">${esc(org)}</p>
<h1 style="font-size:1.5rem;margin:0 0 1rem;">${esc(title)}</h1>
${body}
</main></body></html>`;
    return c.body(html, status, headers);
  };

  const requestForm = (note = '') => `${note}
<form method="post" action="/manage/link" style="${SECTION}">
<p><label for="email">Enter the e-mail address you gave with your monthly gift and we will send you a new link.</label></p>
<p><input id="email" name="email" type="email" required maxlength="320" autocomplete="email" style="${INPUT}width:100%;box-sizing:border-box;"></p>
<button type="submit" style="${BUTTON}">Send me my link</button>
</form>`;

  const refused = (c: Context, reason: 'invalid' | 'expired') =>
    render(
      c,
      400,
      reason === 'expired' ? 'This link has expired' : 'This link is not valid',
      requestForm(
        reason === 'expired'
          ? '<p>For your safety, links to manage a monthly gift work for a limited time. Nothing was changed.</p>'
          : '<p>This link is not valid: it may have been copied incompletely or changed. Nothing was changed.</p>',
      ),
    );

  /** The verified gift of a token, or the page that says why not. */
  const giftOf = async (c: Context, token: unknown): Promise<{ gift: ManagedGift; token: string } | Response> => {
    const signer = await linkSigner(db, config);
    const t = typeof token === 'string' && LINK_TOKEN_PATTERN.test(token) ? token : null;
    const v = signer.verify(t, 'manage', clock());
    if (!v.ok || !t) return refused(c, v.ok ? 'invalid' : v.reason);
    const gift = await findManagedGift(db, v.giftId);
    if (!gift) return refused(c, 'invalid');
    return { gift, token: t };
  };

  /** Cross-site POSTs are refused: only our own pages post here. */
  const sameOrigin = (c: Context) => {
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') return false;
    const origin = c.req.header('origin');
    return !origin || origin === own || origin === 'null';
  };

  const form = async (c: Context): Promise<Record<string, string>> => {
    try {
      const body = await c.req.parseBody();
      return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  };

  const managePath = (token: string, extra = '') => `/manage?token=${encodeURIComponent(token)}${extra}`;

  /** Stripe could not be reached or refused: say so, nothing changed. */
  const failure = (c: Context, err: unknown, token: string | null) => {
    if (err instanceof AppError) {
      const back = token ? `<p><a href="${esc(managePath(token))}">Back to my monthly gift</a></p>` : '';
      return render(c, err.status === 409 ? 409 : 400, 'That did not work', `<p role="alert">${esc(err.message)}</p>${back}`);
    }
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'manage page: payment provider call failed');
    return render(
      c,
      502,
      'Please try again',
      `<p role="alert">We could not reach our payment provider just now. Nothing was changed; please try again in a minute.</p>${token ? `<p><a href="${esc(managePath(token))}">Back to my monthly gift</a></p>` : ''}`,
    );
  };

  const DONE: Record<string, string> = {
    amount: 'Your new amount is saved. It applies from your next payment; nothing is charged today.',
    card: 'Your new card is saved. It will be used from your next payment.',
  };

  const overview = async (c: Context, gift: ManagedGift, token: string) => {
    if (!gift.subscription_id) {
      return render(
        c,
        200,
        'Your monthly gift',
        '<p role="status">Your monthly gift is still being set up. Please open this link again in a minute.</p>',
      );
    }
    let view: SubscriptionView;
    try {
      view = await viewSubscription(stripe, gift.subscription_id);
    } catch (err) {
      return failure(c, err, null);
    }
    const money = (n: number) => formatMoney(n, view.currency.toUpperCase(), { locale: 'en-US', exact: true });
    const done = DONE[c.req.query('done') ?? ''];
    const hidden = `<input type="hidden" name="token" value="${esc(token)}">`;
    const ended = view.status === 'canceled' || view.status === 'incomplete_expired';
    // Dates are the organisation's calendar days, as on its receipts.
    const { timeZone } = await organisation(db, config);
    const date = (d: Date) => new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone }).format(d);
    const parts: string[] = [];
    if (done) parts.push(`<p role="status" style="background:#e6f4ea;padding:.6rem .9rem;border-radius:6px;">${esc(done)}</p>`);
    parts.push(`<dl style="margin:0;">
<dt style="color:#5c5c5c;">Campaign</dt><dd id="campaign" style="margin:0 0 .5rem;font-weight:600;">${esc(gift.campaign_title)}</dd>
<dt style="color:#5c5c5c;">Amount</dt><dd id="amount" style="margin:0 0 .5rem;font-weight:600;">${esc(money(view.amount))} a month</dd>
<dt style="color:#5c5c5c;">Status</dt><dd id="status" style="margin:0 0 .5rem;font-weight:600;">${ended ? `Canceled${view.canceledAt ? ` on ${esc(date(view.canceledAt))}` : ''}` : view.status === 'past_due' || view.status === 'unpaid' ? 'Payment failed: please update your card' : 'Active'}</dd>
${view.nextPaymentAt ? `<dt style="color:#5c5c5c;">Next payment</dt><dd id="next-payment" style="margin:0 0 .5rem;font-weight:600;">${esc(money(view.amount))} on ${esc(date(view.nextPaymentAt))}</dd>` : ''}
${view.card ? `<dt style="color:#5c5c5c;">Card</dt><dd id="card" style="margin:0 0 .5rem;font-weight:600;">${esc(view.card.brand.toUpperCase())} ending in ${esc(view.card.last4)}, expires ${String(view.card.expMonth).padStart(2, '0')}/${view.card.expYear}</dd>` : ''}
</dl>`);
    if (!ended) {
      const major = formatMoney(view.amount, view.currency.toUpperCase(), { locale: 'en-US', exact: true }).replace(/[^\d.,]/g, '');
      parts.push(`<form method="post" action="/manage/amount" style="${SECTION}">${hidden}
<p><label for="new-amount"><strong>Change the amount</strong> (${esc(view.currency.toUpperCase())} per month, from your next payment on)</label></p>
<p><input id="new-amount" name="amount" inputmode="decimal" required maxlength="20" value="${esc(major)}" style="${INPUT}width:10rem;"> <button type="submit" style="${BUTTON}">Save the new amount</button></p>
</form>
<form method="post" action="/manage/card" style="${SECTION}">${hidden}
<p><strong>Update your card</strong>: you will enter the new card on our payment provider's secure page.</p>
<button type="submit" style="${BUTTON}">Update my card</button>
</form>`);
    }
    for (const section of sections) parts.push(await section({ gift, view, token, publicUrl: config.publicUrl }));
    if (!ended) {
      parts.push(`<div style="${SECTION}"><p><strong>Cancel</strong>: you can stop your monthly gift at any time.</p>
<p><a id="cancel-link" href="${esc(`/manage/cancel?token=${encodeURIComponent(token)}`)}" style="color:#a61b1b;">Cancel my monthly gift…</a></p></div>`);
    } else {
      parts.push('<p style="margin-top:1.5rem;">This monthly gift has ended. Thank you for your support.</p>');
    }
    return render(c, 200, 'Your monthly gift', parts.join('\n'));
  };

  return new Hono()
    .use('*', async (c, next) => {
      if (c.req.method === 'POST' && !sameOrigin(c)) {
        return render(c, 403, 'Request refused', '<p>This form can only be sent from our own pages. Nothing was changed.</p>');
      }
      return next();
    })
    .get('/', async (c) => {
      const token = c.req.query('token');
      if (token === undefined) {
        return render(
          c,
          200,
          'Manage your monthly gift',
          requestForm('<p>To see or change your monthly gift, use the link in any of your receipts, or ask for a new one.</p>'),
        );
      }
      const r = await giftOf(c, token);
      if (r instanceof Response) return r;
      return overview(c, r.gift, r.token);
    })
    .get('/cancel', async (c) => {
      const r = await giftOf(c, c.req.query('token'));
      if (r instanceof Response) return r;
      const options = Object.entries(CANCEL_FEEDBACK)
        .map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`)
        .join('');
      return render(
        c,
        200,
        'Cancel your monthly gift?',
        `<p>Your monthly gift to <strong>${esc(r.gift.campaign_title)}</strong> will stop now: no further payment will be taken. Payments already made are not refunded.</p>
<form method="post" action="/manage/cancel"><input type="hidden" name="token" value="${esc(r.token)}">
<p><label for="feedback">Would you tell us why? (optional)</label><br><select id="feedback" name="feedback" style="${INPUT}"><option value="">Prefer not to say</option>${options}</select></p>
<p><label for="comment">Anything else? (optional)</label><br><textarea id="comment" name="comment" maxlength="500" rows="3" style="${INPUT}width:100%;box-sizing:border-box;"></textarea></p>
<p><button id="confirm-cancel" type="submit" style="${QUIET}">Yes, cancel my monthly gift</button></p>
</form>
<p><a href="${esc(managePath(r.token))}">No, keep my monthly gift</a></p>`,
      );
    })
    .post('/cancel', limit, async (c) => {
      const f = await form(c);
      const r = await giftOf(c, f.token);
      if (r instanceof Response) return r;
      const feedback = f.feedback && f.feedback in CANCEL_FEEDBACK ? (f.feedback as CancelFeedback) : null;
      if (f.feedback && !feedback) return render(c, 400, 'That did not work', '<p role="alert">Unknown reason.</p>');
      const comment =
        (f.comment ?? '')
          .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
          .trim()
          .slice(0, 500) || null;
      try {
        await cancelGift(deps, r.gift, { feedback, comment });
      } catch (err) {
        return failure(c, err, r.token);
      }
      return render(
        c,
        200,
        'Your monthly gift is canceled',
        `<p role="status">No further payments will be taken. A confirmation is on its way by e-mail.</p><p>Thank you for your support of ${esc(r.gift.campaign_title)}.</p><p><a href="${esc(managePath(r.token))}">See my gift</a></p>`,
      );
    })
    .post('/amount', limit, async (c) => {
      const f = await form(c);
      const r = await giftOf(c, f.token);
      if (r instanceof Response) return r;
      const parsed = parseMoney(f.amount ?? '', r.gift.currency.toUpperCase());
      if (!parsed.ok) {
        return render(
          c,
          400,
          'That did not work',
          `<p role="alert">${esc(parsed.message)}</p><p><a href="${esc(managePath(r.token))}">Back</a></p>`,
        );
      }
      try {
        await changeAmount(deps, r.gift, parsed.amount);
      } catch (err) {
        return failure(c, err, r.token);
      }
      return c.redirect(managePath(r.token, '&done=amount'), 303);
    })
    .post('/card', limit, async (c) => {
      const f = await form(c);
      const r = await giftOf(c, f.token);
      if (r instanceof Response) return r;
      let url: string;
      try {
        url = await startCardUpdate(deps, r.gift, r.token, clock());
      } catch (err) {
        return failure(c, err, r.token);
      }
      return c.redirect(url, 303);
    })
    .get('/card/done', async (c) => {
      const r = await giftOf(c, c.req.query('token'));
      if (r instanceof Response) return r;
      const sessionId = c.req.query('session_id') ?? '';
      if (!/^cs_[A-Za-z0-9_]{1,250}$/.test(sessionId)) return refused(c, 'invalid');
      try {
        const session = await stripe.checkout.sessions.retrieve(sessionId);
        if (session.metadata?.gift_id !== r.gift.id) return refused(c, 'invalid');
        // The end of the donor's own "Update my card" (a POST, then Stripe's page), not a link in a
        // mail: completing it here as well as from the webhook means the page tells the truth at once.
        const outcome = await applyCardSetup(stripe, session);
        if (outcome === 'updated') return c.redirect(managePath(r.token, '&done=card'), 303);
      } catch (err) {
        return failure(c, err, r.token);
      }
      return render(
        c,
        200,
        'Your card is being saved',
        `<p role="status">Our payment provider is still confirming your new card. It will be used as soon as it is confirmed.</p><p><a href="${esc(managePath(r.token))}">Back to my monthly gift</a></p>`,
      );
    })
    .post('/link', limit, async (c) => {
      const f = await form(c);
      const email = (f.email ?? '').trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320) {
        return render(c, 400, 'Please check the address', requestForm('<p role="alert">Please enter a valid e-mail address.</p>'));
      }
      try {
        await perIp.consume([clientIp(c, config.trustProxy)], 'Too many requests from this connection');
        await perAddress.consume([email], 'Too many links were asked for this address');
      } catch (err) {
        if (err instanceof AppError && err.status === 429) {
          for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
          return render(
            c,
            429,
            'Please wait a little',
            '<p role="alert">Too many links were asked for recently. Please try again in an hour.</p>',
          );
        }
        throw err;
      }
      // Same answer whether or not the address has a monthly gift: the form tells a stranger nothing.
      await mailManageLinks(deps, email, clock());
      return render(
        c,
        200,
        'Check your inbox',
        '<p role="status">If this address has a monthly gift with us, we have sent it a link to manage the gift. The link works for 62 days.</p>',
      );
    });
}
