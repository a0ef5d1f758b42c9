import type { IncomingMessage, ServerResponse } from 'node:http';
import { asSent, requestIdFor } from '../campaigns/fast-read.js';
import { INTERNAL_ERROR, payloadTooLarge } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WebhookAnswer, WebhookReceiver } from './routes.js';

/**
 * Stripe's deliveries, POST /webhooks/stripe, answered beside the framework: the node:http
 * request goes straight to the route's own logic (webhookReceiver in ./routes.ts, which the Hono
 * route calls too), without a web Request, body stream, AbortSignal, middleware chain or
 * Response conversion (issue 12: ~0.6 ms of Node CPU per event). Anything that is not exactly
 * this method and path (a query string included) goes on to the Hono app.
 *
 * What the framework does around the route is done here the same way, in the same order, and
 * tests/integration/webhooks/fast-ingest.test.ts compares both answers on a real socket:
 * - hono/request-id: the caller's X-Request-Id when it is a sane token, else a new UUID;
 * - hono/body-limit as server/app.ts sets it: a declared Content-Length over the limit is
 *   refused before anything is read; a body without one (chunked) is read first, counting, and
 *   refused as soon as it passes the limit, so no more than the limit is ever held;
 * - app.onError: refusals in the app's error shape, anything unexpected a logged 500;
 * - @hono/node-server's writing of c.json: headers lower-case and sorted, then Content-Length.
 */

export const WEBHOOK_PATH = '/webhooks/stripe';

export function createFastIngest(receive: WebhookReceiver, opts: { maxBody: number; log: Logger }) {
  const { maxBody, log } = opts;

  const send = (res: ServerResponse, requestId: string, a: WebhookAnswer) => {
    const body = JSON.stringify(a.body);
    const headers = asSent([['Content-Type', 'application/json'], ['X-Request-Id', requestId], ...Object.entries(a.headers ?? {})]);
    headers.push('Content-Length', String(Buffer.byteLength(body)));
    res.writeHead(a.status, headers);
    res.end(body);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    try {
      // Node joins repeated headers with ', ', as the web Headers the route reads do.
      const given = req.headers['stripe-signature'];
      const signature = Array.isArray(given) ? given.join(', ') : given;
      const declared = req.headers['content-length'];
      let a: WebhookAnswer;
      if (declared !== undefined && req.headers['transfer-encoding'] === undefined) {
        // Node's parser has checked the header: the body is exactly that long.
        if (Number.parseInt(declared || '0', 10) > maxBody) a = refusal();
        else a = await receive(signature, async () => (await readBody(req, maxBody)) ?? Promise.reject(payloadTooLarge()));
      } else {
        const raw = await readBody(req, maxBody);
        a = raw ? await receive(signature, async () => raw) : refusal();
      }
      send(res, requestId, a);
    } catch (err) {
      log.error({ err, requestId, path: WEBHOOK_PATH }, 'unhandled error');
      if (!res.headersSent) send(res, requestId, { status: 500, body: INTERNAL_ERROR });
      else res.destroy();
    }
  };

  /** Answers the request and returns true, or returns false and touches nothing. */
  return function fastIngest(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url !== WEBHOOK_PATH) return false;
    void answer(req, res, requestIdFor(req));
    return true;
  };
}

function refusal(): WebhookAnswer {
  const err = payloadTooLarge();
  return { status: err.status, body: err.toJSON(), ...(err.headers && { headers: err.headers }) };
}

/**
 * The whole body, or undefined once it passes `max` bytes (what was over is never kept; the
 * rest is left unread: the 413 closes the connection). Rejects when the client goes away.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        done();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      done();
      reject(new Error('the client closed the connection before the body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
