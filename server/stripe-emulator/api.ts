/**
 * The REST subset under /v1 that the app reaches through the real `stripe` SDK. Errors use
 * Stripe's envelope and statuses so the SDK raises the same typed errors it would against
 * api.stripe.com (StripeInvalidRequestError, StripeAuthenticationError, StripeIdempotencyError).
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { validateSessionCreate } from './checkout-params.js';
import { EmulatorError, type EmulatorCore, type RequestRef } from './core.js';
import { MAX_AMOUNT, formatAmount, minimumAmount } from './currency.js';
import { list, newId, unix, type EEvent } from './objects.js';
import {
  ApiError,
  canonical,
  type FormObject,
  onlyKeys,
  parseForm,
  readArray,
  readBoolean,
  readEnum,
  readInteger,
  readMetadata,
  readObject,
  readString,
} from './params.js';

/** Checkout Session params are a few KB; a request body past this is refused unread (SPEC §7). */
export const MAX_API_BODY = 256 * 1024;

type Env = { Variables: { requestId: string } };

export function createApiRoutes(core: EmulatorCore, clock: () => Date, apiKey: string, log?: { warn(...a: unknown[]): void }): Hono<Env> {
  const app = new Hono<Env>();
  // Stripe keeps keys for 24 h; so does the emulator (core.prune).
  const idempotency = core.idempotency;
  const expected = Buffer.from(`Bearer ${apiKey}`);
  const publicOrigin = new URL(core.publicUrl).origin;

  const fail = (c: Context<Env>, err: unknown) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status as 400);
    if (err instanceof EmulatorError) return c.json(new ApiError(400, err.message).toJSON(), 400);
    log?.warn({ err }, 'stripe emulator: unexpected error');
    return c.json(
      new ApiError(500, 'An unexpected error occurred in the Groundswell Stripe emulator.', undefined, undefined, 'api_error').toJSON(),
      500,
    );
  };

  app.onError((err, c) => fail(c as Context<Env>, err));

  app.use('/v1/*', async (c, next) => {
    c.set('requestId', newId('req'));
    c.header('Request-Id', c.get('requestId'));
    const auth = c.req.header('Authorization') ?? '';
    if (!auth) {
      throw new ApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    // Only the key this emulator was made with (the runtime hands it to the app's SDK client):
    // its events and objects hold donors' e-mails and names, which nobody else may list.
    const sent = Buffer.from(auth);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      const key = auth.replace(/^Bearer\s+/i, '');
      const shown = /^(sk|rk)_test_/.test(key) && key.length > 12 ? `${key.slice(0, 8)}****${key.slice(-4)}` : 'that key';
      throw new ApiError(
        401,
        `Invalid API Key provided: ${shown}. The Groundswell Stripe emulator accepts only its own key, which the server gives its Stripe client.`,
      );
    }
    if (core.outage === 'server_errors') {
      throw new ApiError(
        500,
        'An unknown error occurred (simulated outage in the Groundswell Stripe emulator).',
        undefined,
        undefined,
        'api_error',
      );
    }
    core.sweepExpired();
    await next();
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_API_BODY,
      onError: () => {
        throw new ApiError(413, `Request body too large: the limit is ${MAX_API_BODY} bytes.`);
      },
    }),
  );

  async function readParams(c: Context<Env>): Promise<FormObject> {
    if (c.req.method === 'GET' || c.req.method === 'DELETE') {
      const url = c.req.url;
      const q = url.indexOf('?');
      return q === -1 ? {} : parseForm(url.slice(q + 1));
    }
    const text = await c.req.text();
    const type = c.req.header('Content-Type') ?? '';
    if (text !== '' && !type.startsWith('application/x-www-form-urlencoded')) {
      throw new ApiError(400, 'Invalid request: Stripe accepts application/x-www-form-urlencoded bodies.');
    }
    return parseForm(text);
  }

  function requestRef(c: Context<Env>): RequestRef {
    return { id: c.get('requestId'), idempotency_key: c.req.header('Idempotency-Key') ?? null };
  }

  /** Same key + same params → the first response again; same key + other params → error (Stripe's rule). */
  async function idempotent(c: Context<Env>, params: FormObject, run: () => unknown): Promise<Response> {
    const key = c.req.header('Idempotency-Key');
    const path = `${c.req.method} ${c.req.path}`;
    const fingerprint = canonical(params);
    if (key) {
      const stored = idempotency.get(key);
      if (stored) {
        if (stored.path !== path || stored.params !== fingerprint) {
          throw new ApiError(
            400,
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            undefined,
            undefined,
            'idempotency_error',
          );
        }
        return new Response(stored.body, {
          status: stored.status,
          headers: { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true', 'Request-Id': c.get('requestId') },
        });
      }
    }
    // Only successes are remembered: Stripe does not save a result for requests that failed validation.
    const body = JSON.stringify(run());
    if (key) idempotency.set(key, { path, params: fingerprint, status: 200, body, created: unix(clock()) });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json', 'Request-Id': c.get('requestId') } });
  }

  /** The webhooks of an API call go out after the response, as with Stripe: deliveries are
   * serialised, so awaiting them here would deadlock an app that calls the API from inside its
   * own webhook handler (a setup session's completion setting the subscription's card). */
  const afterResponse = <T>(r: { delivered: Promise<void> } & T): T => {
    void r.delivered.catch(() => undefined);
    return r;
  };

  // ---- expansion: ids in responses replaced by the objects, as `expand[]` asks ----

  function lookup(id: string): unknown {
    const prefix = id.slice(0, id.indexOf('_') + 1);
    switch (prefix) {
      case 'cs_':
        return core.sessions.get(id)?.session;
      case 'pi_':
        return core.paymentIntents.get(id);
      case 'ch_':
        return core.charges.get(id);
      case 'in_':
        return core.invoices.get(id);
      case 'inpay_':
        return core.invoicePayments.get(id);
      case 'sub_':
        return core.subscriptions.get(id)?.subscription;
      case 'cus_':
        return core.customers.get(id);
      case 're_':
        return core.refunds.get(id);
      case 'dp_':
        return core.disputes.get(id);
      case 'txn_':
        return core.balanceTransaction(id);
      case 'po_':
        return core.payouts.get(id);
      case 'pm_':
        return core.paymentMethods.get(id);
      case 'seti_':
        return core.setupIntents.get(id);
      default:
        return undefined;
    }
  }

  function invoicePaymentsOf(invoiceId: string) {
    return [...core.invoicePayments.values()].filter((p) => p.invoice === invoiceId);
  }

  function expand<T>(object: T, params: FormObject): T {
    const paths = (readArray(params, 'expand') ?? []).map((p, i) => {
      if (typeof p !== 'string') throw new ApiError(400, `Invalid expand[${i}]`, `expand[${i}]`);
      return p;
    });
    if (paths.length === 0) return object;
    const out = structuredClone(object) as Record<string, unknown>;
    for (const path of paths) {
      const segments = path.split('.');
      if (segments.length > 4) throw new ApiError(400, `You cannot expand more than 4 levels of a property (${path}).`, 'expand');
      let targets: Record<string, unknown>[] = [out];
      segments.forEach((seg, depth) => {
        const next: Record<string, unknown>[] = [];
        for (const t of targets) {
          if (depth === 0 && seg === 'data' && t['object'] === 'list') {
            next.push(...(t['data'] as Record<string, unknown>[]));
            continue;
          }
          // Two includable lists that are absent unless asked for, as in Stripe.
          if (seg === 'line_items' && t['object'] === 'checkout.session') {
            const rec = core.sessions.get(t['id'] as string)!;
            t[seg] = list(structuredClone(rec.lineItems), `/v1/checkout/sessions/${rec.session.id}/line_items`);
            continue;
          }
          if (seg === 'payments' && t['object'] === 'invoice') {
            t[seg] = list(structuredClone(invoicePaymentsOf(t['id'] as string)), `/v1/invoice_payments?invoice=${t['id'] as string}`);
            continue;
          }
          if (!(seg in t))
            throw new ApiError(400, `This property cannot be expanded (${segments.slice(0, depth + 1).join('.')}).`, 'expand');
          const v = t[seg];
          if (typeof v === 'string') {
            const found = lookup(v);
            if (found === undefined)
              throw new ApiError(400, `This property cannot be expanded (${segments.slice(0, depth + 1).join('.')}).`, 'expand');
            t[seg] = structuredClone(found);
            next.push(t[seg] as Record<string, unknown>);
          } else if (v && typeof v === 'object') {
            next.push(v as Record<string, unknown>);
          } else if (v !== null) {
            throw new ApiError(400, `This property cannot be expanded (${segments.slice(0, depth + 1).join('.')}).`, 'expand');
          }
        }
        targets = next;
      });
    }
    return out as T;
  }

  function retrieveRoute(path: string, name: string, get: (id: string) => unknown) {
    app.get(path, async (c) => {
      const params = await readParams(c);
      onlyKeys(params, ['expand']);
      const id = c.req.param('id')!;
      const found = get(id);
      if (found === undefined) throw new ApiError(404, `No such ${name}: '${id}'`, 'id', 'resource_missing');
      return c.json(expand(found, params));
    });
  }

  // ---- Checkout Sessions ----

  // The account itself (GET /v1/account, SDK accounts.retrieveCurrent): what the payments probe asks.
  app.get('/v1/account', (c) =>
    c.json({
      id: 'acct_emulator',
      object: 'account',
      type: 'standard',
      country: 'US',
      default_currency: 'usd',
      charges_enabled: core.outage !== 'charges_disabled',
      payouts_enabled: core.outage !== 'charges_disabled',
      details_submitted: true,
      livemode: false,
    }),
  );

  app.post('/v1/checkout/sessions', async (c) => {
    if (core.outage === 'charges_disabled') {
      // Stripe's answer for an account that may not charge: a 400 about the account, naming no parameter.
      throw new ApiError(400, 'Your account cannot currently make charges. Check your account status in the Dashboard.');
    }
    const params = await readParams(c);
    const input = validateSessionCreate(params, unix(clock()));
    // The hosted page redirects donors to these URLs: only to our own site, never an open redirect.
    for (const [param, url] of [
      ['success_url', input.successUrl],
      ['cancel_url', input.cancelUrl],
    ] as const) {
      if (url !== null && originOf(url) !== publicOrigin) {
        throw new ApiError(
          400,
          `Invalid ${param}: the Groundswell emulator only returns donors to ${publicOrigin} (PUBLIC_URL).`,
          param,
          'url_invalid',
        );
      }
    }
    if (input.customer !== null && !core.customers.has(input.customer)) {
      throw new ApiError(400, `No such customer: '${input.customer}'`, 'customer', 'resource_missing');
    }
    return idempotent(c, params, () => expand(core.createSession(input), params));
  });

  retrieveRoute('/v1/checkout/sessions/:id', 'checkout.session', (id) => core.sessions.get(id)?.session);

  app.get('/v1/checkout/sessions/:id/line_items', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['expand', 'limit', 'starting_after', 'ending_before']);
    const id = c.req.param('id');
    const rec = core.sessions.get(id);
    if (!rec) throw new ApiError(404, `No such checkout.session: '${id}'`, 'id', 'resource_missing');
    return c.json(list(rec.lineItems, `/v1/checkout/sessions/${id}/line_items`));
  });

  app.post('/v1/checkout/sessions/:id/expire', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['expand']);
    const id = c.req.param('id');
    if (!core.sessions.has(id)) throw new ApiError(404, `No such checkout.session: '${id}'`, 'id', 'resource_missing');
    return idempotent(c, params, () => {
      // The webhook goes out after the response, as with Stripe: awaiting it here would deadlock
      // an app that expires a session from inside its own webhook handler.
      const { session, delivered } = core.expire(id, requestRef(c));
      void delivered.catch(() => undefined);
      return expand(session, params);
    });
  });

  // ---- Billing and payments ----

  retrieveRoute('/v1/invoices/:id', 'invoice', (id) => core.invoices.get(id));
  retrieveRoute('/v1/invoice_payments/:id', 'invoice_payment', (id) => core.invoicePayments.get(id));
  retrieveRoute('/v1/subscriptions/:id', 'subscription', (id) => core.subscriptions.get(id)?.subscription);
  retrieveRoute('/v1/payment_intents/:id', 'payment_intent', (id) => core.paymentIntents.get(id));
  retrieveRoute('/v1/charges/:id', 'charge', (id) => core.charges.get(id));
  retrieveRoute('/v1/customers/:id', 'customer', (id) => core.customers.get(id));
  retrieveRoute('/v1/refunds/:id', 'refund', (id) => core.refunds.get(id));
  retrieveRoute('/v1/disputes/:id', 'dispute', (id) => core.disputes.get(id));
  retrieveRoute('/v1/balance_transactions/:id', 'balance_transaction', (id) => core.balanceTransaction(id));
  retrieveRoute('/v1/payouts/:id', 'payout', (id) => core.payouts.get(id));

  // ---- lists (reconciliation beyond the events API's 30 days): newest first, cursor-paged ----

  /** A list route over one kind of object: `created` range, `limit`, cursors, and equality filters. */
  function listRoute<T extends { id: string; created: number }>(
    path: string,
    all: () => Iterable<T>,
    filters: Record<string, (o: T, v: string) => boolean>,
  ) {
    app.get(path, async (c) => {
      const params = await readParams(c);
      onlyKeys(params, ['created', 'ending_before', 'expand', 'limit', 'starting_after', ...Object.keys(filters)]);
      const limit = readLimit(params);
      const created = createdFilter(params);
      let data = [...all()].filter((o) => created(o.created));
      for (const [key, test] of Object.entries(filters)) {
        const v = readString(params, key);
        if (v !== undefined) data = data.filter((o) => test(o, v));
      }
      // Newest first; equal times keep insertion order reversed (Stripe orders by creation).
      data = data
        .map((o, i) => ({ o, i }))
        .sort((a, b) => b.o.created - a.o.created || b.i - a.i)
        .map((x) => x.o);
      const page = paginate(data, params, limit);
      return c.json(expand(list(page.data, path, page.hasMore), params));
    });
  }
  const idOf = (x: unknown) => (typeof x === 'string' ? x : x && typeof x === 'object' && 'id' in x ? String(x.id) : null);
  listRoute('/v1/checkout/sessions', () => [...core.sessions.values()].map((r) => r.session), {
    status: (o, v) => o.status === v,
    payment_intent: (o, v) => idOf(o.payment_intent) === v,
    subscription: (o, v) => idOf(o.subscription) === v,
    customer: (o, v) => idOf(o.customer) === v,
  });
  listRoute('/v1/invoices', () => core.invoices.values(), {
    status: (o, v) => o.status === v,
    customer: (o, v) => idOf(o.customer) === v,
    subscription: (o, v) => idOf(o.parent?.subscription_details?.subscription) === v,
  });
  listRoute('/v1/charges', () => core.charges.values(), {
    payment_intent: (o, v) => idOf(o.payment_intent) === v,
    customer: (o, v) => idOf(o.customer) === v,
  });
  listRoute('/v1/refunds', () => core.refunds.values(), {
    charge: (o, v) => idOf(o.charge) === v,
    payment_intent: (o, v) => idOf(o.payment_intent) === v,
  });
  listRoute('/v1/disputes', () => core.disputes.values(), {
    charge: (o, v) => idOf(o.charge) === v,
    payment_intent: (o, v) => idOf(o.payment_intent) === v,
  });
  listRoute('/v1/balance_transactions', () => [...core.balanceTransactions.keys()].map((id) => core.balanceTransaction(id)!), {
    payout: (o, v) => core.paidOut.get(o.id) === v,
    source: (o, v) => idOf(o.source) === v,
    type: (o, v) => o.type === v,
    currency: (o, v) => o.currency === v,
  });
  listRoute('/v1/payouts', () => core.payouts.values(), {
    status: (o, v) => o.status === v,
  });

  // ---- webhook endpoints (npm run stripe:setup) ----

  const readEndpointEvents = (params: FormObject, required: boolean): string[] | undefined => {
    const raw = readArray(params, 'enabled_events');
    if (raw === undefined) {
      if (required) throw new ApiError(400, 'Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
      return undefined;
    }
    const events = raw.map((v, i) => {
      if (typeof v !== 'string' || !/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/.test(v))
        throw new ApiError(400, `Invalid enabled_events[${i}]: must be an event type or *`, `enabled_events[${i}]`, 'parameter_invalid');
      return v;
    });
    if (!events.length) throw new ApiError(400, 'enabled_events must not be empty.', 'enabled_events', 'parameter_invalid');
    return [...new Set(events)];
  };
  const readEndpointUrl = (params: FormObject, required: boolean): string | undefined => {
    const url = readString(params, 'url', '', { max: 2048 });
    if (url === undefined) {
      if (required) throw new ApiError(400, 'Missing required param: url.', 'url', 'parameter_missing');
      return undefined;
    }
    if (!/^https?:$/.test(originOf(url) ? new URL(url).protocol : ''))
      throw new ApiError(400, 'Invalid URL: must be an http or https URL.', 'url', 'url_invalid');
    return url;
  };
  const readDescription = (params: FormObject) => {
    const d = readString(params, 'description', '', { max: 5000 });
    return d === undefined ? undefined : d === '' ? null : d;
  };
  const endpointOrThrow = (id: string) => {
    const e = core.webhookEndpoints.get(id);
    if (!e) throw new ApiError(404, `No such webhook endpoint: '${id}'`, 'id', 'resource_missing');
    return e;
  };

  app.post('/v1/webhook_endpoints', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['url', 'enabled_events', 'api_version', 'description', 'metadata', 'connect', 'expand']);
    const url = readEndpointUrl(params, true)!;
    const enabledEvents = readEndpointEvents(params, true)!;
    const apiVersion = readString(params, 'api_version');
    if (apiVersion !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(apiVersion))
      throw new ApiError(400, `Invalid api_version: ${apiVersion}`, 'api_version', 'parameter_invalid');
    if (readBoolean(params, 'connect')) throw new ApiError(400, 'The emulator has no Connect accounts.', 'connect');
    return idempotent(c, params, () =>
      core.createWebhookEndpoint({
        url,
        enabledEvents,
        apiVersion: apiVersion ?? null,
        description: readDescription(params) ?? null,
        metadata: readMetadata(params, 'metadata'),
      }),
    );
  });

  app.get('/v1/webhook_endpoints', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['ending_before', 'expand', 'limit', 'starting_after']);
    const limit = readLimit(params);
    const page = paginate([...core.webhookEndpoints.values()].reverse(), params, limit);
    return c.json(list(structuredClone(page.data), '/v1/webhook_endpoints', page.hasMore));
  });

  app.get('/v1/webhook_endpoints/:id', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['expand']);
    return c.json(structuredClone(endpointOrThrow(c.req.param('id'))));
  });

  // Stripe's update takes no api_version: an endpoint's version is fixed when it is created.
  app.post('/v1/webhook_endpoints/:id', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['url', 'enabled_events', 'description', 'metadata', 'disabled', 'expand']);
    const e = endpointOrThrow(c.req.param('id'));
    const url = readEndpointUrl(params, false);
    const enabledEvents = readEndpointEvents(params, false);
    const description = readDescription(params);
    const disabled = readBoolean(params, 'disabled');
    const metadata = params['metadata'] !== undefined ? readMetadata(params, 'metadata') : undefined;
    return idempotent(c, params, () => {
      if (url !== undefined) e.url = url;
      if (enabledEvents !== undefined) e.enabled_events = enabledEvents;
      if (description !== undefined) e.description = description;
      if (disabled !== undefined) e.status = disabled ? 'disabled' : 'enabled';
      if (metadata !== undefined) e.metadata = metadata;
      return structuredClone(e);
    });
  });

  app.delete('/v1/webhook_endpoints/:id', async (c) => {
    const id = c.req.param('id');
    endpointOrThrow(id);
    core.webhookEndpoints.delete(id);
    return c.json({ id, object: 'webhook_endpoint', deleted: true });
  });

  retrieveRoute('/v1/payment_methods/:id', 'payment_method', (id) => core.paymentMethods.get(id));
  retrieveRoute('/v1/setup_intents/:id', 'setup_intent', (id) => core.setupIntents.get(id));

  app.post('/v1/payment_methods/:id', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['billing_details', 'card', 'expand', 'metadata']);
    const id = c.req.param('id');
    if (!core.paymentMethods.has(id)) throw new ApiError(404, `No such PaymentMethod: '${id}'`, 'id', 'resource_missing');
    const card = readObject(params, 'card');
    if (card) onlyKeys(card, ['exp_month', 'exp_year', 'networks'], 'card');
    const expMonth = card ? readInteger(card, 'exp_month', 'card') : undefined;
    const expYear = card ? readInteger(card, 'exp_year', 'card') : undefined;
    if (expMonth !== undefined && (expMonth < 1 || expMonth > 12))
      throw new ApiError(400, "Your card's expiration month is invalid.", 'card[exp_month]', 'invalid_expiry_month');
    if (expYear !== undefined && (expYear < 2000 || expYear > 2100))
      throw new ApiError(400, "Your card's expiration year is invalid.", 'card[exp_year]', 'invalid_expiry_year');
    return idempotent(c, params, () =>
      expand(
        core.updatePaymentMethod(id, { ...(expMonth !== undefined && { expMonth }), ...(expYear !== undefined && { expYear }) }),
        params,
      ),
    );
  });

  const missingSubscription = (id: string) => new ApiError(404, `No such subscription: '${id}'`, 'id', 'resource_missing');

  app.post('/v1/subscriptions/:id', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['items', 'proration_behavior', 'default_payment_method', 'metadata', 'expand', 'cancellation_details']);
    const id = c.req.param('id');
    if (!core.subscriptions.has(id)) throw missingSubscription(id);
    const proration = readEnum(params, 'proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const);
    const rawItems = readArray(params, 'items');
    const items = rawItems?.map((raw, i) => {
      const at = `items[${i}]`;
      if (typeof raw !== 'object' || Array.isArray(raw)) throw new ApiError(400, `Invalid object: ${at}`, at, 'parameter_invalid');
      onlyKeys(raw, ['id', 'price', 'price_data', 'quantity', 'metadata'], at);
      const itemId = readString(raw, 'id', at);
      // Adding or deleting items is not modelled: Groundswell only reprices the one item it has.
      if (!itemId)
        throw new ApiError(
          400,
          `The Groundswell emulator only updates existing items: ${at}[id] is required.`,
          `${at}[id]`,
          'parameter_missing',
        );
      if (raw['price'] !== undefined)
        throw new ApiError(404, `No such price: '${String(raw['price'])}'`, `${at}[price]`, 'resource_missing');
      const pd = readObject(raw, 'price_data', at);
      if (!pd) throw new ApiError(400, `You must specify either price or price_data in ${at}.`, `${at}[price_data]`, 'parameter_missing');
      const pdAt = `${at}[price_data]`;
      onlyKeys(pd, ['currency', 'product', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal'], pdAt);
      const currency = readString(pd, 'currency', pdAt)?.toLowerCase();
      const product = readString(pd, 'product', pdAt);
      const unitAmount = readInteger(pd, 'unit_amount', pdAt);
      const rec = readObject(pd, 'recurring', pdAt);
      if (!currency) throw new ApiError(400, `Missing required param: ${pdAt}[currency].`, `${pdAt}[currency]`, 'parameter_missing');
      if (!product) throw new ApiError(400, `Missing required param: ${pdAt}[product].`, `${pdAt}[product]`, 'parameter_missing');
      if (!rec) throw new ApiError(400, `Missing required param: ${pdAt}[recurring].`, `${pdAt}[recurring]`, 'parameter_missing');
      if (unitAmount === undefined)
        throw new ApiError(400, `Missing required param: ${pdAt}[unit_amount].`, `${pdAt}[unit_amount]`, 'parameter_missing');
      const min = minimumAmount(currency);
      if (min === undefined) throw new ApiError(400, `Invalid currency: ${currency}`, `${pdAt}[currency]`, 'parameter_invalid');
      if (unitAmount < min)
        throw new ApiError(400, `Amount must be at least ${formatAmount(min, currency)}`, `${pdAt}[unit_amount]`, 'amount_too_small');
      if (unitAmount > MAX_AMOUNT)
        throw new ApiError(
          400,
          `Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`,
          `${pdAt}[unit_amount]`,
          'amount_too_large',
        );
      onlyKeys(rec, ['interval', 'interval_count'], `${pdAt}[recurring]`);
      const interval = readEnum(rec, 'interval', ['day', 'week', 'month', 'year'] as const, `${pdAt}[recurring]`);
      if (!interval)
        throw new ApiError(
          400,
          `Missing required param: ${pdAt}[recurring][interval].`,
          `${pdAt}[recurring][interval]`,
          'parameter_missing',
        );
      const quantity = readInteger(raw, 'quantity', at);
      if (quantity !== undefined && (quantity < 1 || quantity > 999_999))
        throw new ApiError(400, `Invalid ${at}[quantity]`, `${at}[quantity]`, 'parameter_invalid_integer');
      return {
        id: itemId,
        ...(quantity !== undefined && { quantity }),
        price: { currency, product, unitAmount, interval, intervalCount: readInteger(rec, 'interval_count', `${pdAt}[recurring]`) ?? 1 },
      };
    });
    if (items && proration !== 'none') {
      // Proration would bill the difference now; the emulator models only 'none' (what a donation needs).
      throw new ApiError(
        400,
        'The Groundswell emulator only implements proration_behavior=none for item changes.',
        'proration_behavior',
        'parameter_invalid',
      );
    }
    const defaultPaymentMethod = readString(params, 'default_payment_method');
    const metadata = params['metadata'] !== undefined ? readMetadata(params, 'metadata') : undefined;
    return idempotent(c, params, () =>
      expand(
        afterResponse(
          core.updateSubscription(
            id,
            { ...(items && { items }), ...(defaultPaymentMethod && { defaultPaymentMethod }), ...(metadata && { metadata }) },
            requestRef(c),
          ),
        ).subscription,
        params,
      ),
    );
  });

  app.delete('/v1/subscriptions/:id', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['cancellation_details', 'expand', 'invoice_now', 'prorate']);
    const id = c.req.param('id');
    if (!core.subscriptions.has(id)) throw missingSubscription(id);
    const details = readObject(params, 'cancellation_details');
    if (details) onlyKeys(details, ['comment', 'feedback', 'feedback_option'], 'cancellation_details');
    const comment = details ? readString(details, 'comment', 'cancellation_details', { max: 5000 }) : undefined;
    const feedback = details
      ? readEnum(
          details,
          'feedback',
          [
            '',
            'customer_service',
            'low_quality',
            'missing_features',
            'other',
            'switched_service',
            'too_complex',
            'too_expensive',
            'unused',
          ] as const,
          'cancellation_details',
        )
      : undefined;
    readBoolean(params, 'invoice_now');
    readBoolean(params, 'prorate');
    return idempotent(c, params, () =>
      expand(
        afterResponse(core.cancelSubscription(id, { comment: comment || null, feedback: feedback || null }, requestRef(c))).subscription,
        params,
      ),
    );
  });

  app.get('/v1/invoices', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, [
      'collection_method',
      'created',
      'customer',
      'ending_before',
      'expand',
      'limit',
      'starting_after',
      'status',
      'subscription',
    ]);
    const limit = readLimit(params);
    const subscription = readString(params, 'subscription');
    const customer = readString(params, 'customer');
    const status = readEnum(params, 'status', ['draft', 'open', 'paid', 'uncollectible', 'void'] as const);
    const created = createdFilter(params);
    let data = [...core.invoices.values()].reverse();
    if (subscription) data = data.filter((i) => i.parent?.subscription_details?.subscription === subscription);
    if (customer) data = data.filter((i) => i.customer === customer);
    if (status) data = data.filter((i) => i.status === status);
    data = data.filter((i) => created(i.created));
    const page = paginate(data, params, limit);
    return c.json(expand(list(page.data, '/v1/invoices', page.hasMore), params));
  });

  app.post('/v1/invoices/:id/void', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['expand']);
    const id = c.req.param('id');
    if (!core.invoices.has(id)) throw new ApiError(404, `No such invoice: '${id}'`, 'id', 'resource_missing');
    return idempotent(c, params, () => expand(afterResponse(core.voidInvoice(id, requestRef(c))).invoice, params));
  });

  app.get('/v1/invoice_payments', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['expand', 'invoice', 'payment', 'status', 'limit', 'starting_after', 'ending_before', 'created']);
    const invoice = readString(params, 'invoice');
    const payment = readObject(params, 'payment');
    const status = readString(params, 'status');
    const limit = readLimit(params);
    let data = [...core.invoicePayments.values()].reverse();
    if (invoice) data = data.filter((p) => p.invoice === invoice);
    if (payment) {
      onlyKeys(payment, ['type', 'payment_intent', 'payment_record'], 'payment');
      const pi = readString(payment, 'payment_intent', 'payment');
      if (pi) data = data.filter((p) => p.payment.payment_intent === pi);
    }
    if (status) data = data.filter((p) => p.status === status);
    const page = paginate(data, params, limit);
    return c.json(expand(list(page.data, '/v1/invoice_payments', page.hasMore), params));
  });

  // ---- Events ----

  retrieveRoute('/v1/events/:id', 'event', (id) => core.events.find((e) => e.id === id));

  app.get('/v1/events', async (c) => {
    const params = await readParams(c);
    onlyKeys(params, ['created', 'delivery_success', 'ending_before', 'expand', 'limit', 'starting_after', 'type', 'types']);
    const limit = readLimit(params);
    const type = readString(params, 'type');
    const types = readArray(params, 'types')?.map(String);
    if (type && types) throw new ApiError(400, 'You may only specify one of these parameters: type, types.', 'types');
    if (types && types.length > 20) throw new ApiError(400, 'types accepts at most 20 values.', 'types');
    const deliverySuccess = readBoolean(params, 'delivery_success');
    const created = createdFilter(params);
    const patterns = (types ?? (type ? [type] : [])).map(
      (t) => new RegExp(`^${t.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
    );
    let data: EEvent[] = [...core.events].reverse();
    if (patterns.length) data = data.filter((e) => patterns.some((re) => re.test(e.type)));
    if (deliverySuccess !== undefined) {
      data = data.filter((e) => (core.delivery.records.get(e.id)?.state === 'delivered') === deliverySuccess);
    }
    // Stripe's events API reaches back 30 days (by the account's clock: the emulator's).
    const oldest = unix(clock()) - 30 * 86_400;
    data = data.filter((e) => e.created >= oldest && created(e.created));
    const page = paginate(data, params, limit);
    return c.json(list(page.data, '/v1/events', page.hasMore));
  });

  app.all('/v1/*', (c) => {
    throw new ApiError(
      404,
      `Unrecognized request URL (${c.req.method}: ${c.req.path}). The Groundswell Stripe emulator implements only the subset of the API that Groundswell uses.`,
    );
  });

  return app;
}

function readLimit(params: FormObject): number {
  const limit = readInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw new ApiError(400, 'Invalid limit: must be between 1 and 100', 'limit', 'parameter_invalid_integer');
  return limit;
}

/** Stripe's cursor pagination over a newest-first list. */
function paginate<T extends { id: string }>(data: T[], params: FormObject, limit: number): { data: T[]; hasMore: boolean } {
  const after = readString(params, 'starting_after');
  const before = readString(params, 'ending_before');
  let slice = data;
  if (after) {
    const i = data.findIndex((d) => d.id === after);
    if (i === -1) throw new ApiError(400, `No such object: '${after}'`, 'starting_after', 'resource_missing');
    slice = data.slice(i + 1);
    return { data: slice.slice(0, limit), hasMore: slice.length > limit };
  }
  if (before) {
    const i = data.findIndex((d) => d.id === before);
    if (i === -1) throw new ApiError(400, `No such object: '${before}'`, 'ending_before', 'resource_missing');
    slice = data.slice(0, i);
    return { data: slice.slice(Math.max(0, slice.length - limit)), hasMore: slice.length > limit };
  }
  return { data: slice.slice(0, limit), hasMore: slice.length > limit };
}

function createdFilter(params: FormObject): (t: number) => boolean {
  const exact = params['created'];
  if (exact === undefined) return () => true;
  if (typeof exact === 'string') {
    const v = readInteger(params, 'created')!;
    return (t) => t === v;
  }
  const range = readObject(params, 'created')!;
  onlyKeys(range, ['gt', 'gte', 'lt', 'lte'], 'created');
  const gt = readInteger(range, 'gt', 'created');
  const gte = readInteger(range, 'gte', 'created');
  const lt = readInteger(range, 'lt', 'created');
  const lte = readInteger(range, 'lte', 'created');
  return (t) =>
    (gt === undefined || t > gt) && (gte === undefined || t >= gte) && (lt === undefined || t < lt) && (lte === undefined || t <= lte);
}

/** The origin of an absolute URL, or null ({CHECKOUT_SESSION_ID} and the like parse fine). */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
