import { connect as tcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../server/app.js';
import { type TestContext, createTestContext, signPayload } from '../../helpers/app.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { type Running, listen } from '../../helpers/serve.js';

/**
 * POST /webhooks/stripe is answered beside the framework on a real socket
 * (server/webhooks/fast-ingest.ts). Whatever it answers, the framework answers byte for byte:
 * status line, headers and their order, body; only the Date and a generated request id differ.
 */

/**
 * One request on a fresh connection, the raw bytes of the answer once the server closes it.
 * `body` is written after the head as given (a list: chunks written one by one, stopping once
 * the answer has begun, as a client that sees a 413 would).
 */
function raw(port: number, head: string, body: string | string[] = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = tcp(port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      data += d;
    });
    // A refused body may meet a closed socket (EPIPE, ECONNRESET): the answer is what arrived.
    s.on('error', () => {});
    s.on('close', () => resolve(data));
    s.write(`${head}\r\nHost: give.example.org\r\n\r\n`);
    if (typeof body === 'string') s.write(body);
    else {
      const next = (i: number) => {
        if (i < body.length && data === '' && !s.destroyed) s.write(body[i]!, () => setTimeout(() => next(i + 1), 1));
      };
      next(0);
    }
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Only the clock and a generated request id may differ between two answers. */
function masked(s: string) {
  return s
    .replace(/^Date: .*$/m, 'Date: <date>')
    .replace(/^x-request-id: (.*)\r$/m, (line, id: string) => (UUID.test(id) ? 'x-request-id: <generated>\r' : line));
}

const post = (headers: Record<string, string | number>, path = '/webhooks/stripe', method = 'POST') =>
  [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');

/** A signed delivery: Content-Length, or chunked when `chunked`. Keep-alive unless `close`. */
function delivery(body: string, o: { signature?: string | null; chunked?: boolean; close?: boolean; requestId?: string } = {}) {
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json' };
  if (o.signature !== null) headers['Stripe-Signature'] = o.signature ?? signPayload(body);
  if (o.requestId) headers['X-Request-Id'] = o.requestId;
  if (o.close !== false) headers.Connection = 'close';
  if (o.chunked) {
    headers['Transfer-Encoding'] = 'chunked';
    return { head: post(headers), body: chunked(body, 16 * 1024) };
  }
  headers['Content-Length'] = Buffer.byteLength(body);
  return { head: post(headers), body };
}

/** The chunked encoding of `body`, one chunk per `size` characters (ASCII bodies). */
function chunked(body: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.slice(i, i + size);
    out.push(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
  }
  out.push('0\r\n\r\n');
  return out;
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
const headerNames = (answer: string) =>
  answer
    .slice(0, answer.indexOf('\r\n\r\n'))
    .split('\r\n')
    .slice(1)
    .map((l) => l.slice(0, l.indexOf(':')));

const T = Math.floor(Date.now() / 1000);

describe('POST /webhooks/stripe beside the framework answers as the framework does', () => {
  let ctx: TestContext;
  let fast: Running;
  let framework: Running;
  let campaign: Awaited<ReturnType<typeof makeCampaign>>;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    campaign = await makeCampaign(ctx.db, { slug: 'year-end' });
    fast = await listen(ctx.app, true);
    framework = await listen(ctx.app, false);
  });
  afterAll(async () => {
    await fast?.close();
    await framework?.close();
    await ctx?.close();
  });

  /** A checkout.session.completed for a new gift of `amount`, as Stripe would send it. */
  async function paid(amount: number) {
    const g = await makeGift(ctx.db, campaign, { amount });
    return JSON.stringify(
      event(
        'checkout.session.completed',
        checkoutSession({ id: g.id, amount, campaignSlug: campaign.slug }, { paymentIntent: sid('pi') }),
        T,
      ),
      null,
      2,
    );
  }
  const raised = async () => {
    ctx.app.progressCache.invalidate(0);
    return ((await (await ctx.app.request('/api/campaigns/year-end')).json()) as { raised: number }).raised;
  };

  /** The same request to both servers; both answers, the fast one checked to be the fast path's. */
  async function both(head: string, body: string | string[] = '') {
    const before = fast.fast;
    const quick = await raw(fast.port, head, body);
    expect(fast.fast).toBe(before + 1);
    const slow = await raw(framework.port, head, body);
    return { quick, slow };
  }

  it('a new event, then its redelivery: same answers, the gift counted once', async () => {
    const start = await raised();
    // Two gifts alike, one through each path: both applied, same receipt.
    const a = delivery(await paid(2500), { requestId: 'req-a' });
    const b = delivery(await paid(2500), { requestId: 'req-a' });
    const quick = await raw(fast.port, a.head, a.body);
    const slow = await raw(framework.port, b.head, b.body);
    expect(fast.fast).toBeGreaterThan(0);
    expect(masked(quick)).toBe(masked(slow));
    expect(statusOf(quick)).toBe(200);
    expect(bodyOf(quick)).toEqual({ received: true, outcome: 'processed' });
    expect(quick).toContain('\r\nx-request-id: req-a\r\n');
    expect(headerNames(quick)).toEqual(['content-type', 'x-request-id', 'Content-Length', 'Date', 'Connection']);
    expect(quick).toContain('\r\ncontent-type: application/json\r\n');
    expect(await raised()).toBe(start + 5000);

    // Redeliveries of the first event, on each path.
    const again = await both(a.head, a.body);
    expect(masked(again.quick)).toBe(masked(again.slow));
    expect(bodyOf(again.quick)).toMatchObject({ received: true, duplicate: true });
    expect(await raised()).toBe(start + 5000);

    // What app.request() (the emulator's deliveries, the tests) gets is the same answer.
    const body = a.body as string;
    const viaRequest = await ctx.app.request('/webhooks/stripe', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body) },
    });
    expect(viaRequest.status).toBe(200);
    expect(await viaRequest.json()).toEqual(bodyOf(again.quick));
  });

  it('a chunked delivery within the limit, and a keep-alive one', async () => {
    const x = delivery(await paid(1000), { chunked: true, requestId: 'req-c' });
    const y = delivery(await paid(1000), { chunked: true, requestId: 'req-c' });
    const quick = await raw(fast.port, x.head, x.body);
    const slow = await raw(framework.port, y.head, y.body);
    expect(masked(quick)).toBe(masked(slow));
    expect(bodyOf(quick)).toEqual({ received: true, outcome: 'processed' });

    // Keep-alive: the server keeps the connection; the answer is the same up to Keep-Alive.
    const k = delivery(await paid(1000), { close: false, requestId: 'req-k' });
    const l = delivery(await paid(1000), { close: false, requestId: 'req-k' });
    const answers = await Promise.all(
      [
        [fast.port, k],
        [framework.port, l],
      ].map(
        ([port, d]) =>
          new Promise<string>((resolve, reject) => {
            const s = tcp(port as number, '127.0.0.1');
            let data = '';
            s.setEncoding('utf8');
            s.on('data', (c) => {
              data += c;
              const end = data.indexOf('\r\n\r\n');
              const len = /\r\nContent-Length: (\d+)\r\n/.exec(data)?.[1];
              if (end > 0 && len && data.length >= end + 4 + Number(len)) {
                s.destroy();
                resolve(data);
              }
            });
            s.on('error', reject);
            const { head, body } = d as ReturnType<typeof delivery>;
            s.write(`${head}\r\nHost: give.example.org\r\n\r\n${body as string}`);
          }),
      ),
    );
    expect(masked(answers[0]!)).toBe(masked(answers[1]!));
    expect(answers[0]).toContain('\r\nConnection: keep-alive\r\n');
  });

  it('refusals: bad, missing and stale signature, signed but malformed JSON', async () => {
    const body = await paid(700);
    const failed = 'Webhook signature verification failed';
    const missing = 'Missing Stripe-Signature header';
    const cases = [
      [delivery(body, { signature: signPayload(body, 'whsec_not_the_right_one') }), failed],
      [delivery(body, { signature: signPayload(body, undefined, T - 301) }), failed],
      [delivery(body.replace('"amount_total": 700', '"amount_total": 70000'), { signature: signPayload(body) }), failed],
      [delivery('{"id": "evt_1", "type": ', {}), failed],
      [delivery(body, { signature: null }), missing],
      [delivery(body, { signature: '' }), missing],
      [delivery(body, { signature: null, chunked: true }), missing],
    ] as const;
    for (const [d, message] of cases) {
      const { quick, slow } = await both(d.head, d.body);
      expect(masked(quick)).toBe(masked(slow));
      expect(statusOf(quick)).toBe(400);
      expect(bodyOf(quick)).toEqual({ error: { code: 'invalid_signature', message } });
    }
    // A signed body that is JSON but not an event is stored unreadable: 200, same receipt.
    const odd = delivery('{"hello": "world"}');
    const { quick, slow } = await both(odd.head, odd.body);
    expect(masked(quick)).toBe(masked(slow));
    expect(bodyOf(quick)).toEqual({ received: true, outcome: 'unreadable', detail: 'missing or malformed event id' });
  });

  it('a body over 512 KiB: 413 with Connection: close, by Content-Length or counted when chunked', async () => {
    const big = `{"pad": "${'x'.repeat(600 * 1024)}"}`;
    for (const chunkedBody of [false, true]) {
      // Keep-alive requests: the 413 must close the connection itself. Content-Length alone is
      // enough to refuse: the head is sent without its body.
      const d = delivery(big, { chunked: chunkedBody, close: false });
      const body = chunkedBody ? d.body : '';
      const { quick, slow } = await both(d.head, body);
      expect(masked(quick)).toBe(masked(slow));
      expect(statusOf(quick)).toBe(413);
      expect(bodyOf(quick)).toEqual({ error: { code: 'payload_too_large', message: 'Request body is too large' } });
      expect(quick).toContain('\r\nconnection: close\r\n');
    }
    // Exactly at the limit is not over it: refused for its signature, not its size.
    const edge = `{"pad": "${'x'.repeat(512 * 1024 - 11)}"}`;
    expect(Buffer.byteLength(edge)).toBe(512 * 1024);
    for (const chunkedBody of [false, true]) {
      const d = delivery(edge, { chunked: chunkedBody, signature: 't=1,v1=00' });
      const { quick, slow } = await both(d.head, d.body);
      expect(masked(quick)).toBe(masked(slow));
      expect(statusOf(quick)).toBe(400);
    }
  });

  it('request ids: a sane one is kept, a missing or unusable one replaced by a new UUID', async () => {
    const body = '{}';
    for (const id of [undefined, 'has spaces', 'a'.repeat(256), 'ok-id_1=']) {
      const d = delivery(body, { signature: null, ...(id !== undefined && { requestId: id }) });
      const { quick, slow } = await both(d.head, d.body);
      expect(masked(quick)).toBe(masked(slow));
      const got = /\r\nx-request-id: (.*)\r\n/.exec(quick)![1]!;
      if (id === 'ok-id_1=') expect(got).toBe(id);
      else expect(got).toMatch(UUID);
    }
  });

  it('503 when no signing secret is configured', async () => {
    const config = ctx.app.deps.config as { stripeWebhookSecrets: string[] };
    const secrets = config.stripeWebhookSecrets;
    config.stripeWebhookSecrets = [];
    try {
      const d = delivery(await paid(500));
      const { quick, slow } = await both(d.head, d.body);
      expect(masked(quick)).toBe(masked(slow));
      expect(statusOf(quick)).toBe(503);
      expect(bodyOf(quick)).toEqual({ error: { code: 'webhooks_not_configured', message: 'STRIPE_WEBHOOK_SECRET is not set' } });
    } finally {
      config.stripeWebhookSecrets = secrets;
    }
  });

  it('an unexpected failure: the 500 of app.onError, logged with its request id and path', async () => {
    const config = ctx.app.deps.config;
    const secrets = config.stripeWebhookSecrets;
    const boom = new Error('boom');
    Object.defineProperty(config, 'stripeWebhookSecrets', {
      configurable: true,
      get() {
        throw boom;
      },
    });
    const logged = vi.spyOn(ctx.app.deps.log, 'error');
    try {
      const d = delivery('{}', { requestId: 'req-500' });
      const { quick, slow } = await both(d.head, d.body);
      expect(masked(quick)).toBe(masked(slow));
      expect(statusOf(quick)).toBe(500);
      expect(bodyOf(quick)).toEqual({ error: { code: 'internal_error', message: 'Something went wrong on our side; please try again.' } });
      expect(logged.mock.calls).toEqual([
        [{ err: boom, requestId: 'req-500', path: '/webhooks/stripe' }, 'unhandled error'],
        [{ err: boom, requestId: 'req-500', path: '/webhooks/stripe' }, 'unhandled error'],
      ]);
    } finally {
      logged.mockRestore();
      delete (config as { stripeWebhookSecrets?: unknown }).stripeWebhookSecrets;
      (config as { stripeWebhookSecrets: string[] }).stripeWebhookSecrets = secrets;
    }
  });

  it('a client that leaves mid-body: logged as the framework logs it, and the server goes on', async () => {
    const logged = vi.spyOn(ctx.app.deps.log, 'error');
    try {
      for (const port of [fast.port, framework.port]) {
        await new Promise<void>((resolve) => {
          const s = tcp(port, '127.0.0.1');
          s.on('error', () => {});
          s.write(
            'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone\r\nStripe-Signature: t=1,v1=00\r\nContent-Length: 1000\r\n\r\n{"id":',
            () => setTimeout(() => s.destroy(), 50),
          );
          s.on('close', () => resolve());
        });
        await new Promise((r) => setTimeout(r, 200));
      }
      const seen = logged.mock.calls.map(([o, m]) => [{ ...(o as object), err: String((o as { err: unknown }).err) }, m]);
      const line = [{ err: 'Error: aborted', requestId: 'gone', path: '/webhooks/stripe' }, 'unhandled error'];
      expect(seen).toEqual([line, line]);
    } finally {
      logged.mockRestore();
    }
    const d = delivery('{}', { signature: null });
    const { quick, slow } = await both(d.head, d.body);
    expect(masked(quick)).toBe(masked(slow));
  });

  it('leaves everything else to the framework: other methods, paths, a query string', async () => {
    const before = fast.fast;
    const body = await paid(300);
    for (const [method, path] of [
      ['POST', '/webhooks/stripe?x=1'],
      ['POST', '/webhooks/stripe/'],
      ['POST', '/webhooks/Stripe'],
      ['POST', '/webhooks/stripe/other'],
      ['GET', '/webhooks/stripe'],
      ['PUT', '/webhooks/stripe'],
      ['OPTIONS', '/webhooks/stripe'],
    ] as const) {
      const head = post(
        { 'Content-Length': Buffer.byteLength(body), 'Stripe-Signature': 't=1,v1=00', 'X-Request-Id': 'r1', Connection: 'close' },
        path,
        method,
      );
      expect(masked(await raw(fast.port, head, body))).toBe(masked(await raw(framework.port, head, body)));
    }
    expect(fast.fast).toBe(before);
  });
});
