import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import Stripe from 'stripe';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { cardTestingGuard } from '../giving/card-testing.js';
import { type LinkSigner, linkSigner } from '../manage/links.js';
import { committerFor } from './group-commit.js';
import { type JournalEvent, alreadyApplied, recordFailed, recordUnreadable as recordUnreadableRow } from './journal.js';
import { type Applied, type HandledEvent, UnreadableObjectError, isHandledType, prefetchEvent, prefetchReadsApi } from './handlers.js';

/**
 * Stripe → us (STYLE §7): raw body → verify → read the envelope → handler (prefetch, then apply
 * through the ledger) → 2xx. The event row and its effects commit in one transaction: a crash in
 * between leaves neither, and Stripe's retry redoes both. An event counts as done (a redelivery
 * is a duplicate) only once applied; one that could not be read stays `failed` with its reason
 * (retried by Stripe when the trouble is transient, by reconciliation otherwise), and a signed
 * but malformed one is stored `unreadable`: both visible to the admin, neither moves money.
 */
export function webhookRoutes(deps: AppDeps, receive: WebhookReceiver = webhookReceiver(deps)) {
  return new Hono().post('/', async (c) => {
    const answer = await receive(c.req.header('stripe-signature'), async () => Buffer.from(await c.req.arrayBuffer()));
    return c.json(answer.body, answer.status, answer.headers);
  });
}

/** What POST /webhooks/stripe answers: a status, a JSON body and any extra headers. */
export interface WebhookAnswer {
  status: ContentfulStatusCode;
  body: WebhookReceipt | ReturnType<AppError['toJSON']>;
  headers?: Record<string, string>;
}
export interface WebhookReceipt {
  received: true;
  outcome: ProcessResult['outcome'];
  detail?: string;
  duplicate?: true;
}

/**
 * The stripe-signature header (undefined when absent) and a way to read the raw body (bodyLimit
 * already applied; it may throw its 413 AppError) → the answer. Refusals (AppError) become
 * answers in the app's error shape; anything else is thrown (the caller's 500).
 */
export type WebhookReceiver = (signature: string | undefined, readBody: () => Promise<Buffer>) => Promise<WebhookAnswer>;

/**
 * The route's whole logic, without the framework: the Hono route above and the node:http fast
 * path (server/webhooks/fast-ingest.ts) both answer with it.
 */
export function webhookReceiver(deps: AppDeps): WebhookReceiver {
  const cardTesting = cardTestingGuard(deps);
  const receive = async (signature: string | undefined, readBody: () => Promise<Buffer>): Promise<WebhookAnswer> => {
    const secrets = deps.config.stripeWebhookSecrets;
    if (!secrets.length) throw new AppError('webhooks_not_configured', 503, 'STRIPE_WEBHOOK_SECRET is not set');
    if (!signature) throw new AppError('invalid_signature', 400, 'Missing Stripe-Signature header');
    // The exact bytes Stripe signed: re-serialised JSON would not verify.
    const raw = await readBody();
    let parsed: unknown;
    let refusal: unknown;
    // While a secret is rotated (a new endpoint, or a rolled secret), events signed with the old
    // one are still in flight or being retried: any configured secret may have signed this one.
    for (const secret of secrets) {
      try {
        // Freshness is judged by the wall clock, like Stripe's own signer (a replay window is real time).
        parsed = deps.stripe.webhooks.constructEvent(raw, signature, secret, 300);
        refusal = undefined;
        break;
      } catch (err) {
        refusal = err;
      }
    }
    if (refusal !== undefined || parsed === undefined) {
      deps.log.warn({ reason: refusal instanceof Error ? refusal.message : String(refusal) }, 'webhook refused: bad signature');
      throw new AppError('invalid_signature', 400, 'Webhook signature verification failed');
    }
    const result = await processEvent(deps, parsed, raw.toString('utf8'));
    // Card testing: a declined payment counts against its campaign's velocity limit. Side work,
    // never the webhook's answer (STYLE 7).
    await countFailedPayment(cardTesting, parsed, result.duplicate === true).catch((err: unknown) =>
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'card-testing count failed'),
    );
    if (result.outcome === 'failed' && result.transient) {
      // Stripe retries a non-2xx answer: the trouble (network, Stripe or database) may be gone then.
      throw new AppError('webhook_retry', 503, 'The event could not be applied now; please retry');
    }
    return {
      status: 200,
      body: {
        received: true,
        outcome: result.outcome,
        ...(result.detail ? { detail: result.detail } : {}),
        ...(result.duplicate ? { duplicate: true } : {}),
      },
    };
  };
  return (signature, readBody) =>
    receive(signature, readBody).catch((err: unknown) => {
      // As app.onError answers an AppError (server/app.ts).
      if (err instanceof AppError) return { status: err.status, body: err.toJSON(), ...(err.headers && { headers: err.headers }) };
      throw err;
    });
}

async function countFailedPayment(guard: ReturnType<typeof cardTestingGuard>, parsed: unknown, duplicate: boolean) {
  if (duplicate) return;
  const e = parsed as Stripe.Event;
  if (e?.type !== 'payment_intent.payment_failed') return;
  const campaign = e.data.object.metadata?.campaign;
  if (typeof campaign === 'string' && campaign) await guard.failedPayment(campaign);
}

export type ProcessResult =
  | (Applied & { duplicate?: boolean })
  | { outcome: 'failed'; detail: string; transient: boolean; duplicate?: undefined }
  | { outcome: 'unreadable'; detail: string; duplicate?: undefined };

/** Stripe was founded in 2010; an event "created" before that or after 2100 is not a real time
 * (and would not fit the ordering columns or a Date). */
const EARLIEST_EVENT = Date.UTC(2010, 0, 1) / 1000;
const LATEST_EVENT = Date.UTC(2100, 0, 1) / 1000;

/** The envelope every event must have before anything is read from it (issue 8 item 13). */
function readEnvelope(x: unknown): { event: Stripe.Event } | { unreadable: string } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { unreadable: 'payload is not an object' };
  if (!('id' in x) || typeof x.id !== 'string' || !/^evt_[A-Za-z0-9_]{1,250}$/.test(x.id))
    return { unreadable: 'missing or malformed event id' };
  if (!('type' in x) || typeof x.type !== 'string' || x.type.length > 200) return { unreadable: 'missing event type' };
  if (
    !('created' in x) ||
    typeof x.created !== 'number' ||
    !Number.isInteger(x.created) ||
    x.created < EARLIEST_EVENT ||
    x.created >= LATEST_EVENT
  ) {
    return { unreadable: 'absurd created time' };
  }
  if (
    !('data' in x) ||
    typeof x.data !== 'object' ||
    x.data === null ||
    !('object' in x.data) ||
    typeof x.data.object !== 'object' ||
    x.data.object === null
  ) {
    return { unreadable: 'event without data.object' };
  }
  // Stripe's upcoming invoice (invoice.upcoming) is a preview: it has no id yet.
  if (
    isHandledType(x.type) &&
    x.type !== 'invoice.upcoming' &&
    (!('id' in x.data.object) || typeof x.data.object.id !== 'string' || x.data.object.id.length === 0)
  ) {
    return { unreadable: 'object without id' };
  }
  if ('api_version' in x && x.api_version !== null && typeof x.api_version !== 'string') return { unreadable: 'malformed api_version' };
  // The envelope is what the SDK types promise; fields inside objects are checked where used.
  return { event: x as Stripe.Event };
}

const isHandled = (e: Stripe.Event): e is HandledEvent => isHandledType(e.type);

/** Errors worth a retry: Stripe or the network hiccuped, or the database is away. */
function isTransient(err: unknown): boolean {
  if (err instanceof Stripe.errors.StripeError) {
    return (
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      (err.statusCode ?? 500) >= 500
    );
  }
  // A field of the wrong type inside the event (TypeError) or SQLSTATE classes 22 (data
  // exception) and 23 (constraint) come from the event's content: retrying the same content
  // cannot help. Anything else (connection refused or terminated, 08xxx, 57xxx...) may.
  if (err instanceof UnreadableObjectError || err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError)
    return false;
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  return !/^2[23]/.test(code);
}

export async function processEvent(deps: AppDeps, input: unknown, rawPayload: string): Promise<ProcessResult> {
  const read = readEnvelope(input);
  if ('unreadable' in read) {
    await recordUnreadable(deps, input, rawPayload, read.unreadable);
    return { outcome: 'unreadable', detail: read.unreadable };
  }
  const event = read.event;
  const stored = {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode === true,
    apiVersion: typeof event.api_version === 'string' ? event.api_version : null,
    payload: rawPayload,
  };
  const groups = committerFor(deps.db, deps, deps.singleConnection ? 'pglite' : 'postgres');
  let prepared: HandledEvent | null = null;
  let reread = false;
  if (isHandled(event)) {
    reread = stored.apiVersion !== pinnedVersion(deps.stripe);
    // A delivery already applied is answered before any API call its handler would make (the
    // group's claim decides for events whose handler reads nothing from the API).
    if (prefetchReadsApi(event, reread) && (await alreadyApplied(deps.db, event.id)))
      return { outcome: 'ignored', detail: 'duplicate event', duplicate: true };
    try {
      // SPEC §5 "Any API version": an event rendered in another version is a notification only;
      // its objects are re-read in the SDK's pinned version before anything is applied.
      prepared = await prefetchEvent(event.type, event, { stripe: deps.stripe, reread });
    } catch (err) {
      return failed(deps, stored, err);
    }
  }
  // Read before any transaction: on single-connection PGlite a first read inside one would wait forever.
  let signer: LinkSigner;
  try {
    signer = await linkSigner(deps.db, deps.config);
  } catch (err) {
    return failed(deps, stored, err);
  }
  const now = deps.clock();
  // Applied with the events arriving at the same time, answered once their transaction committed.
  const result = await groups.submit({ event: stored, prepared, reread, manageUrl: (giftId) => signer.manageUrl(giftId, now) });
  if ('error' in result) return failed(deps, stored, result.error);
  return result;
}

/** The version the SDK asks Stripe for (the client's own setting, else the SDK's pinned one). */
export function pinnedVersion(stripe: Stripe): string {
  const v: unknown = stripe.getApiField('version');
  return typeof v === 'string' && v ? v : Stripe.API_VERSION;
}

/** Keeps the event retriable and visible: stored `failed` with the reason, never over an applied row. */
async function failed(deps: AppDeps, e: JournalEvent, err: unknown): Promise<ProcessResult> {
  const transient = isTransient(err);
  const reason = `${transient ? 'will retry' : 'could not apply'}: ${errorText(err)}`.slice(0, 500);
  deps.log.warn({ eventId: e.id, type: e.type, reason }, 'webhook event not applied');
  try {
    await recordFailed(deps.db, e, reason);
  } catch {
    // the database itself is away: Stripe's retry brings the event back
  }
  return { outcome: 'failed', detail: reason, transient };
}

/** What went wrong, without the parameters of a failed query (they may hold an e-mail). */
function errorText(err: unknown): string {
  if (err instanceof Stripe.errors.StripeError) return `Stripe ${err.statusCode ?? ''} ${err.code ?? err.type}: ${err.message}`;
  if (err instanceof Error) return `${'code' in err ? `${String(err.code)} ` : ''}${err.message.split('\n')[0]}`;
  return String(err);
}

async function recordUnreadable(deps: AppDeps, input: unknown, raw: string, reason: string): Promise<void> {
  const idField =
    typeof input === 'object' &&
    input !== null &&
    'id' in input &&
    typeof input.id === 'string' &&
    /^evt_[A-Za-z0-9_]{1,250}$/.test(input.id)
      ? input.id
      : null;
  const id = idField ?? `unreadable_${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
  const type =
    typeof input === 'object' && input !== null && 'type' in input && typeof input.type === 'string' ? input.type.slice(0, 200) : 'unknown';
  deps.log.warn({ eventId: id, type, reason }, 'signed but unreadable webhook event stored');
  await recordUnreadableRow(deps.db, { id, type, created: Math.floor(deps.clock().getTime() / 1000), raw }, reason);
}
