/**
 * The emulator's human pages: the hosted test checkout a donor is sent to, and a small dashboard
 * standing in for Stripe's (renew, cancel, refund, dispute). Every page carries the TEST MODE
 * banner, and all text that came from a client (product names, e-mails, URLs) goes through
 * hono/html's escaping template, never string concatenation.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { EmulatorError, type EmulatorCore, type Outage, OUTAGES, type SessionRecord } from './core.js';
import { formatAmount } from './currency.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A signed-in admin as the host app knows them (the emulator imports nothing from the app). */
export interface EmulatorAdmin {
  csrfToken: string;
}
export type AdminCheck = (req: Request) => Promise<EmulatorAdmin | null>;

/** The checkout and dashboard forms send a few fields; anything bigger is refused unread. */
export const MAX_FORM_BODY = 16 * 1024;

export interface PageControls {
  setOutage(outage: Outage): void;
  completeCheckout(id: string, outcome: 'paid' | 'async_pending', details: { email?: string; name?: string }): Promise<void>;
  settleAsync(id: string, outcome: 'succeeded' | 'failed'): Promise<void>;
  settleLater(id: string, outcome: 'succeeded' | 'failed'): void;
  expireCheckout(id: string): Promise<void>;
  renewSubscription(id: string): Promise<void>;
  cancelSubscription(id: string): Promise<void>;
  failRenewal(id: string): Promise<string>;
  upcomingRenewal(id: string): Promise<void>;
  refund(paymentIntentId: string, amount?: number): Promise<void>;
  dispute(paymentIntentId: string, opts: { amount?: number }): Promise<string>;
  closeDispute(id: string, outcome: 'won' | 'lost'): Promise<void>;
  /** Pays out the whole balance now; resolves to the number of payouts made. */
  payout(): Promise<number>;
}

const STYLE = raw(`
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f6f7f9; }
  .banner { background: #ffd43b; color: #1a1a1a; font-weight: 700; text-align: center; padding: .6rem 1rem; border-bottom: 2px solid #b08900; }
  main { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
  .card { background: #fff; border: 1px solid #d0d4da; border-radius: 8px; padding: 1.5rem; max-width: 28rem; margin: 0 auto; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { font: inherit; padding: .5rem; width: 100%; box-sizing: border-box; border: 1px solid #8a929c; border-radius: 4px; }
  button { font: inherit; padding: .55rem 1rem; margin: .3rem .3rem 0 0; border-radius: 4px; border: 1px solid #3b4bdb; background: #3b4bdb; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #3b4bdb; }
  button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #ff922b; outline-offset: 2px; }
  .amount { font-size: 2rem; font-weight: 700; margin: .25rem 0; }
  table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 2rem; font-size: .9rem; }
  th, td { border: 1px solid #d0d4da; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  td form { display: inline-block; margin: 0; }
  td input { width: 7rem; padding: .25rem; }
  td button { padding: .25rem .6rem; font-size: .85rem; }
  .notice { background: #e7f5ff; border: 1px solid #74c0fc; padding: .5rem 1rem; border-radius: 4px; }
  .error { background: #fff5f5; border: 1px solid #ff8787; padding: .5rem 1rem; border-radius: 4px; }
  code { font-size: .85em; }
  label.sr { display: inline; font-weight: 400; margin: 0; font-size: .8rem; }
`);

function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · TEST MODE</title>
<style>${STYLE}</style>
</head>
<body>
<div class="banner" role="note">TEST MODE — Groundswell Stripe emulator, no real money</div>
<main>${body}</main>
</body>
</html>`;
}

/** The dashboard is for signed-in admins, yet may be on a shared screen: no whole addresses. */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '';
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

const fmtTime = (t: number | null | undefined) => (t ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : '');

function checkoutPage(rec: SessionRecord, expiredByTime: boolean, error?: string): Html {
  const s = rec.session;
  const action = `/emulator/checkout/${encodeURIComponent(s.id)}`;
  const items = rec.lineItems.map((li) => html`<p>${li.description}${li.quantity && li.quantity > 1 ? ` × ${li.quantity}` : ''}</p>`);
  const interval = rec.input.lineItems[0]?.recurring;
  const amount = formatAmount(s.amount_total ?? 0, s.currency ?? 'usd');
  const heading =
    s.mode === 'setup'
      ? html`<h1>Save a card</h1><p>This card will be saved for future payments. Nothing is charged now.</p>`
      : html`<h1>${s.mode === 'subscription' ? 'Subscribe' : 'Pay'}</h1>
    ${items}
    <p class="amount">${amount}${interval ? html` <small>per ${interval.interval_count > 1 ? `${interval.interval_count} ` : ''}${interval.interval}${interval.interval_count > 1 ? 's' : ''}</small>` : ''}</p>`;

  if (s.status !== 'open' || expiredByTime) {
    const message =
      s.status === 'complete'
        ? html`<p role="status">This checkout is already complete. ${s.mode === 'setup' ? 'The card is saved.' : 'Nothing more to pay.'}</p>${s.success_url ? html`<p><a href="${successUrl(s.success_url, s.id)}">Return to the site</a></p>` : ''}`
        : html`<p role="status">This checkout session has expired. Please start your donation again.</p>`;
    return page('Checkout', html`<div class="card">${heading}${message}</div>`);
  }

  return page(
    'Checkout',
    html`<div class="card">
  ${heading}
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="${action}/pay">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" required autocomplete="email" value="${s.customer_email ?? ''}">
    <label for="name">Name on card</label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="200">
    <p><small>Test card 4242 4242 4242 4242 is assumed; no card details are collected.</small></p>
    <button id="pay" type="submit" name="outcome" value="paid">${s.mode === 'setup' ? 'Save card' : 'Pay'}</button>
    ${
      s.mode === 'payment'
        ? html`<button id="pay-delayed-succeeds" class="secondary" type="submit" name="outcome" value="async_succeeds">Pay with delayed method (succeeds)</button>
    <button id="pay-delayed-fails" class="secondary" type="submit" name="outcome" value="async_fails">Pay with delayed method (fails)</button>`
        : ''
    }
  </form>
  <form method="post" action="${action}/cancel">
    <button id="cancel" class="secondary" type="submit">Cancel</button>
  </form>
</div>`,
  );
}

export function successUrl(template: string, id: string): string {
  return template.split('{CHECKOUT_SESSION_ID}').join(id);
}

function actionFormRaw(action: string, fields: Record<string, string>, label: string, extra?: Html): Html {
  return html`<form method="post" action="/emulator/actions/${action}"><input type="hidden" name="csrf_token" value="${csrfOf(fields)}">${Object.entries(
    fields,
  )
    .filter(([k]) => k !== CSRF)
    .map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}${extra ?? ''}<button type="submit">${label}</button></form>`;
}

const CSRF = 'csrf_token';
const csrfOf = (fields: Record<string, string>) => fields[CSRF] ?? '';

function dashboard(core: EmulatorCore, csrf: string, notice?: string, error?: string): Html {
  const actionForm = (action: string, fields: Record<string, string>, label: string, extra?: Html) =>
    actionFormRaw(action, { ...fields, [CSRF]: csrf }, label, extra);
  const recent = <T>(m: Map<string, T>, n = 25) => [...m.values()].reverse().slice(0, n);
  const sessions = recent(core.sessions).map(({ session: s }) => {
    const pi = s.payment_intent ? core.paymentIntents.get(s.payment_intent as string) : undefined;
    return html`<tr>
      <td><a href="/emulator/checkout/${s.id}"><code>${s.id}</code></a><br>${fmtTime(s.created)}</td>
      <td>${s.mode}</td><td>${s.status} / ${s.payment_status}</td>
      <td>${formatAmount(s.amount_total ?? 0, s.currency ?? 'usd')}</td>
      <td>${maskEmail(s.customer_details?.email ?? s.customer_email)}</td>
      <td>${s.status === 'open' ? actionForm('expire', { id: s.id }, 'Expire') : ''}
          ${pi?.status === 'processing' ? html`${actionForm('settle', { id: s.id, outcome: 'succeeded' }, 'Settle: succeeded')}${actionForm('settle', { id: s.id, outcome: 'failed' }, 'Settle: failed')}` : ''}</td>
    </tr>`;
  });
  const intents = recent(core.paymentIntents).map((pi) => {
    const ch = pi.latest_charge ? core.charges.get(pi.latest_charge as string) : undefined;
    const refundable = ch && ch.status === 'succeeded' && ch.amount_refunded < ch.amount;
    return html`<tr>
      <td><code>${pi.id}</code><br>${fmtTime(pi.created)}</td>
      <td>${formatAmount(pi.amount, pi.currency)}</td><td>${pi.status}</td>
      <td>${ch ? formatAmount(ch.amount_refunded, ch.currency) : ''}${ch?.disputed ? ' (disputed)' : ''}</td>
      <td>${
        refundable
          ? actionForm(
              'refund',
              { id: pi.id },
              'Refund',
              html`<label class="sr">Amount (minor units, empty = all)<input name="amount" inputmode="numeric" pattern="[0-9]*"></label>`,
            )
          : ''
      }
      ${ch && ch.status === 'succeeded' && !ch.disputed ? actionForm('dispute', { id: pi.id }, 'Open dispute', html`<label class="sr">Disputed amount (empty = all)<input name="amount" inputmode="numeric" pattern="[0-9]*"></label>`) : ''}</td>
    </tr>`;
  });
  const subs = recent(core.subscriptions).map(({ subscription: sub, email }) => {
    const item = sub.items.data[0];
    return html`<tr>
      <td><code>${sub.id}</code><br>${fmtTime(sub.created)}</td>
      <td>${item ? formatAmount(item.price.unit_amount ?? 0, sub.currency) : ''} / ${item?.price.recurring?.interval ?? ''}</td>
      <td>${sub.status}</td><td>${maskEmail(email)}</td><td>${fmtTime(item?.current_period_end)}</td>
      <td>${sub.status === 'active' ? html`${actionForm('renew', { id: sub.id }, 'Renew now')}${actionForm('fail-renewal', { id: sub.id }, 'Renewal fails')}${actionForm('upcoming', { id: sub.id }, 'Announce renewal')}${actionForm('cancel-subscription', { id: sub.id }, 'Cancel')}` : sub.status === 'past_due' ? actionForm('cancel-subscription', { id: sub.id }, 'Cancel') : ''}</td>
    </tr>`;
  });
  const disputes = recent(core.disputes).map(
    (d) => html`<tr>
      <td><code>${d.id}</code></td><td><code>${d.payment_intent as string}</code></td>
      <td>${formatAmount(d.amount, d.currency)}</td><td>${d.status}</td>
      <td>${d.status !== 'won' && d.status !== 'lost' ? html`${actionForm('close-dispute', { id: d.id, outcome: 'won' }, 'Close: won')}${actionForm('close-dispute', { id: d.id, outcome: 'lost' }, 'Close: lost')}` : ''}</td>
    </tr>`,
  );
  const payouts = recent(core.payouts).map(
    (p) =>
      html`<tr><td><code>${p.id}</code></td><td>${fmtTime(p.created)}</td><td>${formatAmount(p.amount, p.currency)}</td><td>${p.status}</td></tr>`,
  );
  const events = core.events
    .slice(-50)
    .reverse()
    .map((e) => {
      const rec = core.delivery.records.get(e.id);
      const last = rec?.attempts.at(-1);
      const detail = last ? (last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? '')) : '';
      return html`<tr><td>${fmtTime(e.created)}</td><td><code>${e.id}</code></td><td>${e.type}</td>
        <td>${rec?.state ?? 'not sent'}${rec ? ` (${rec.attempts.length} attempt${rec.attempts.length === 1 ? '' : 's'}${detail ? `, last ${detail}` : ''})` : ''}</td></tr>`;
    });
  const empty = (cols: number) => html`<tr><td colspan="${cols}">None yet.</td></tr>`;
  return page(
    'Emulator dashboard',
    html`<h1>Stripe emulator dashboard</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<h2>Payments outage</h2>
<p>Now: <strong>${core.outage}</strong>. The app's API calls fail as chosen; this dashboard and the checkout pages keep working.</p>
<p>${OUTAGES.map((m) => actionForm('outage', { mode: m }, m === 'none' ? 'No outage' : `Simulate: ${m.replace('_', ' ')}`))}</p>
<h2>Checkout Sessions</h2>
<table><thead><tr><th>Session</th><th>Mode</th><th>Status</th><th>Amount</th><th>Email</th><th>Actions</th></tr></thead>
<tbody>${sessions.length ? sessions : empty(6)}</tbody></table>
<h2>Payment Intents</h2>
<table><thead><tr><th>Payment intent</th><th>Amount</th><th>Status</th><th>Refunded</th><th>Actions</th></tr></thead>
<tbody>${intents.length ? intents : empty(5)}</tbody></table>
<h2>Subscriptions</h2>
<table><thead><tr><th>Subscription</th><th>Price</th><th>Status</th><th>Email</th><th>Period ends</th><th>Actions</th></tr></thead>
<tbody>${subs.length ? subs : empty(6)}</tbody></table>
<h2>Disputes</h2>
<table><thead><tr><th>Dispute</th><th>Payment intent</th><th>Amount</th><th>Status</th><th>Actions</th></tr></thead>
<tbody>${disputes.length ? disputes : empty(5)}</tbody></table>
<h2>Payouts</h2>
<p>${actionForm('payout', {}, 'Pay out the balance now')}</p>
<table><thead><tr><th>Payout</th><th>Created</th><th>Amount (net of fees)</th><th>Status</th></tr></thead>
<tbody>${payouts.length ? payouts : empty(4)}</tbody></table>
<h2>Events (last 50)</h2>
<table><thead><tr><th>Created</th><th>Event</th><th>Type</th><th>Delivery</th></tr></thead>
<tbody>${events.length ? events : empty(4)}</tbody></table>`,
  );
}

function optionalAmount(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  if (!/^\d{1,9}$/.test(v.trim())) throw new EmulatorError('Amounts are whole numbers in minor units (cents).');
  return Number(v.trim());
}

type PageEnv = { Variables: { admin: EmulatorAdmin } };

export function createPageRoutes(core: EmulatorCore, controls: PageControls, publicUrl: string, adminCheck: AdminCheck): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  const publicOrigin = new URL(publicUrl).origin;
  const refused = (c: Context, message: string, status: 401 | 403 | 413) =>
    c.html(page('Refused', html`<p class="error" role="alert">${message}</p>`), status);

  // The pages' forms are same-origin posts; refuse posts another site's page makes a browser send.
  app.use('/emulator/*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    c.header('X-Frame-Options', 'DENY');
    if (c.req.method === 'POST') {
      const origin = c.req.header('Origin');
      const site = c.req.header('Sec-Fetch-Site');
      if (
        (origin && origin !== publicOrigin && origin !== new URL(c.req.url).origin) ||
        (site && site !== 'same-origin' && site !== 'none')
      ) {
        return refused(c, 'Cross-site form posts are refused.', 403);
      }
    }
    core.sweepExpired();
    await next();
  });

  // The dashboard and its actions move money and show donors: signed-in admins only, checked
  // before any body is read. The hosted checkout page stays public: donors have no account.
  const adminOnly: MiddlewareHandler<PageEnv> = async (c, next) => {
    const admin = await adminCheck(c.req.raw);
    if (!admin) {
      return c.html(
        page(
          'Sign in',
          html`<div class="card"><p role="alert">The emulator dashboard is for the organisation's admins. <a href="/admin">Sign in to the admin</a>, then come back to <a href="/emulator">/emulator</a>.</p></div>`,
        ),
        401,
      );
    }
    c.set('admin', admin);
    await next();
  };
  app.use('/emulator', adminOnly);
  app.use('/emulator/actions/*', adminOnly);
  app.use('/emulator/*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    return bodyLimit({ maxSize: MAX_FORM_BODY, onError: (cc) => refused(cc, 'The form is too large.', 413) })(c, next);
  });

  const form = async (c: Context<PageEnv>) => {
    const body = await c.req.parseBody();
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    return str;
  };

  app.get('/emulator', (c) => c.html(dashboard(core, c.get('admin').csrfToken, c.req.query('notice'))));

  app.get('/emulator/checkout/:id', (c) => {
    const rec = core.sessions.get(c.req.param('id'));
    if (!rec) return c.html(page('Not found', html`<p role="alert">No such checkout session.</p>`), 404);
    return c.html(checkoutPage(rec, core.isPastExpiry(rec)));
  });

  app.post('/emulator/checkout/:id/pay', async (c) => {
    const id = c.req.param('id');
    const rec = core.sessions.get(id);
    if (!rec) return c.html(page('Not found', html`<p role="alert">No such checkout session.</p>`), 404);
    const str = await form(c);
    const outcome = str('outcome') ?? 'paid';
    const email = str('email')?.trim() ?? '';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320) {
      return c.html(checkoutPage(rec, core.isPastExpiry(rec), 'Please enter a valid email address.'), 400);
    }
    const name = str('name')?.trim().slice(0, 200);
    try {
      if (outcome === 'paid') {
        await controls.completeCheckout(id, 'paid', { email, name });
      } else if ((outcome === 'async_succeeds' || outcome === 'async_fails') && rec.session.mode === 'payment') {
        await controls.completeCheckout(id, 'async_pending', { email, name });
        // The bank answers later, as with SEPA: the donor lands on the thank-you page while processing.
        controls.settleLater(id, outcome === 'async_succeeds' ? 'succeeded' : 'failed');
      } else {
        return c.html(checkoutPage(rec, false, 'Unknown payment choice.'), 400);
      }
    } catch (err) {
      if (err instanceof EmulatorError) return c.html(checkoutPage(rec, core.isPastExpiry(rec), err.message), 409);
      throw err;
    }
    return redirectOnSite(c, successUrl(rec.session.success_url!, id), 'Payment received. You can close this tab.');
  });

  app.post('/emulator/checkout/:id/cancel', (c) => {
    const rec = core.sessions.get(c.req.param('id'));
    if (!rec) return c.html(page('Not found', html`<p role="alert">No such checkout session.</p>`), 404);
    // Stripe leaves the session open when the donor walks away; it expires on its own later.
    if (rec.session.cancel_url) return redirectOnSite(c, rec.session.cancel_url, 'Payment cancelled. You can close this tab.');
    return c.html(page('Cancelled', html`<div class="card"><p role="status">Payment cancelled. You can close this tab.</p></div>`));
  });

  const actions: Record<string, (str: (k: string) => string | undefined) => Promise<string>> = {
    expire: async (s) => (await controls.expireCheckout(req(s, 'id')), 'Checkout Session expired.'),
    settle: async (s) => {
      const outcome = req(s, 'outcome');
      if (outcome !== 'succeeded' && outcome !== 'failed') throw new EmulatorError('Unknown outcome.');
      await controls.settleAsync(req(s, 'id'), outcome);
      return `Delayed payment ${outcome}.`;
    },
    renew: async (s) => (await controls.renewSubscription(req(s, 'id')), 'Subscription renewed: a new invoice was paid.'),
    'cancel-subscription': async (s) => (await controls.cancelSubscription(req(s, 'id')), 'Subscription canceled.'),
    'fail-renewal': async (s) => `Renewal failed: invoice ${await controls.failRenewal(req(s, 'id'))} is open.`,
    upcoming: async (s) => (await controls.upcomingRenewal(req(s, 'id')), 'invoice.upcoming sent.'),
    refund: async (s) => (await controls.refund(req(s, 'id'), optionalAmount(s('amount'))), 'Refund created.'),
    dispute: async (s) => `Dispute ${await controls.dispute(req(s, 'id'), { amount: optionalAmount(s('amount')) })} opened.`,
    outage: async (s) => {
      const mode = req(s, 'mode') as Outage;
      if (!OUTAGES.includes(mode)) throw new EmulatorError('Unknown outage mode.');
      controls.setOutage(mode);
      return mode === 'none' ? 'Outage ended: the API answers normally.' : `Simulated outage: ${mode.replace('_', ' ')}.`;
    },
    payout: async () => {
      const n = await controls.payout();
      return n ? `${n} payout${n === 1 ? '' : 's'} sent.` : 'Nothing to pay out.';
    },
    'close-dispute': async (s) => {
      const outcome = req(s, 'outcome');
      if (outcome !== 'won' && outcome !== 'lost') throw new EmulatorError('Unknown outcome.');
      await controls.closeDispute(req(s, 'id'), outcome);
      return `Dispute closed as ${outcome}.`;
    },
  };

  // Sessions with outside URLs are refused at creation (api.ts); this is the second lock.
  const redirectOnSite = (c: Context<PageEnv>, url: string, otherwise: string) => {
    let origin: string | null = null;
    try {
      origin = new URL(url).origin;
    } catch {
      /* not a URL */
    }
    if (origin === publicOrigin) return c.redirect(url, 303);
    return c.html(page('Done', html`<div class="card"><p role="status">${otherwise}</p></div>`));
  };

  app.post('/emulator/actions/:action', async (c) => {
    const { csrfToken } = c.get('admin');
    const run = actions[c.req.param('action')];
    if (!run) return c.html(dashboard(core, csrfToken, undefined, 'Unknown action.'), 404);
    const str = await form(c);
    // Like the admin API's X-CSRF-Token, but as a form field: a plain HTML form cannot send headers.
    const sent = Buffer.from(str(CSRF) ?? '');
    const expected = Buffer.from(csrfToken);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      return refused(c, 'This form has expired: reload the dashboard and try again.', 403);
    }
    try {
      const notice = await run(str);
      return c.redirect(`/emulator?notice=${encodeURIComponent(notice)}`, 303);
    } catch (err) {
      if (err instanceof EmulatorError) return c.html(dashboard(core, csrfToken, undefined, err.message), 400);
      throw err;
    }
  });

  return app;
}

function req(str: (k: string) => string | undefined, key: string): string {
  const v = str(key);
  if (!v) throw new EmulatorError(`Missing ${key}.`);
  return v;
}
