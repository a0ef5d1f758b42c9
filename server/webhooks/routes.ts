import { Hono } from 'hono';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { inLedgerTransaction } from '../ledger/service.js';
import { type HandlerContext, type HandlerResult, handlers } from './handlers.js';

/**
 * Stripe → us (STYLE §7): raw body → verify → record event.id → dispatch → 2xx.
 * The event row and its effects commit in one transaction: a crash in between leaves neither,
 * and Stripe's retry redoes both. Duplicates (same id) stop at the unique key. 5xx only for
 * transient trouble (database down), so that Stripe retries.
 */
export function webhookRoutes(deps: AppDeps) {
  return new Hono().post('/', async (c) => {
    const secret = deps.config.stripeWebhookSecret;
    if (!secret) throw new AppError('webhooks_not_configured', 503, 'STRIPE_WEBHOOK_SECRET is not set');
    const signature = c.req.header('stripe-signature');
    if (!signature) throw new AppError('invalid_signature', 400, 'Missing Stripe-Signature header');
    // The exact bytes Stripe signed: re-serialised JSON would not verify.
    const raw = Buffer.from(await c.req.arrayBuffer());
    let event: Stripe.Event;
    try {
      // Freshness is judged by the wall clock, like Stripe's own signer (a replay window is real time).
      event = deps.stripe.webhooks.constructEvent(raw, signature, secret, 300);
    } catch (err) {
      deps.log.warn({ reason: (err as Error).message }, 'webhook refused: bad signature');
      throw new AppError('invalid_signature', 400, 'Webhook signature verification failed');
    }
    const result = await processEvent(deps, event, raw.toString('utf8'));
    return c.json({ received: true, ...result });
  });
}

export async function processEvent(deps: AppDeps, event: Stripe.Event, rawPayload: string): Promise<HandlerResult & { duplicate?: boolean }> {
  const handler = handlers[event.type];
  const prefetched = handler ? await prefetch(deps, event) : {};
  return inLedgerTransaction(deps.db, async (trx, batch) => {
    const inserted = await trx
      .insertInto('stripe_events')
      .values({
        id: event.id,
        type: event.type,
        created: event.created,
        livemode: event.livemode,
        outcome: 'ignored',
        payload: rawPayload,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { outcome: 'ignored' as const, detail: 'duplicate event', duplicate: true };
    const result: HandlerResult = handler
      ? await handler({ trx, batch, event, deps, prefetched } satisfies HandlerContext)
      : { outcome: 'ignored', detail: 'event type not used' };
    await trx.updateTable('stripe_events').set({ outcome: result.outcome, detail: result.detail ?? null }).where('id', '=', event.id).execute();
    return result;
  });
}

/** The few facts an event does not carry, fetched before the transaction (no network call
 * while holding row locks): the charge behind a failed or canceled refund (its cumulative amount_refunded
 * went down again) and a dispute's PaymentIntent when the dispute does not name it. Other
 * refund.* events need nothing: charge.refunded already carries the cumulative figure. */
async function prefetch(deps: AppDeps, event: Stripe.Event): Promise<HandlerContext['prefetched']> {
  if (event.type === 'invoice.paid' || event.type === 'invoice.payment_succeeded') {
    return { invoicePaymentIntent: await invoicePaymentIntent(deps, event.data.object as Stripe.Invoice) };
  }
  const obj = event.data.object as { object?: string; status?: string; charge?: string | { id: string } | null; payment_intent?: unknown };
  const chargeId = typeof obj.charge === 'string' ? obj.charge : obj.charge?.id;
  const needsCharge = (obj.object === 'refund' && (obj.status === 'failed' || obj.status === 'canceled')) || (obj.object === 'dispute' && !obj.payment_intent);
  if (!needsCharge || !chargeId) return {};
  try {
    const charge = await deps.stripe.charges.retrieve(chargeId);
    const pi = charge.payment_intent;
    return {
      chargeId: charge.id,
      chargeAmountRefunded: charge.amount_refunded,
      chargePaymentIntent: typeof pi === 'string' ? pi : (pi?.id ?? null),
    };
  } catch (err) {
    const e = err as { statusCode?: number };
    // Stripe says the charge does not exist (4xx): a retry cannot help, acknowledge the event.
    // Anything else (network, 5xx) propagates as a 500 so that Stripe retries later.
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      deps.log.warn({ eventId: event.id, chargeId }, 'charge of event not found at Stripe');
      return {};
    }
    throw err;
  }
}

/**
 * Which PaymentIntent paid a subscription invoice (API 2026-10-28: invoices no longer name it).
 * From the event's own `payments` list when Stripe included it, else GET /v1/invoice_payments.
 * Only an answer that names this very invoice as paid is believed, and any failure is fine:
 * invoice_payment.paid brings the same fact, and the money of the invoice itself never waits on it.
 */
async function invoicePaymentIntent(deps: AppDeps, inv: Stripe.Invoice): Promise<string | null> {
  if (inv.status !== 'paid' || !inv.parent?.subscription_details || !inv.id) return null;
  const pick = (list: Stripe.InvoicePayment[] | undefined) => {
    const paid = list?.find((p) => (typeof p.invoice === 'string' ? p.invoice : p.invoice?.id) === inv.id && p.status === 'paid');
    const pi = paid?.payment?.payment_intent;
    return pi ? (typeof pi === 'string' ? pi : pi.id) : null;
  };
  const inline = pick(inv.payments?.data);
  if (inline) return inline;
  try {
    const listed = await deps.stripe.invoicePayments.list({ invoice: inv.id, limit: 10 }, { maxNetworkRetries: 0, timeout: 5_000 });
    return pick(listed.data);
  } catch (err) {
    deps.log.debug({ invoice: inv.id, err: (err as Error).message }, 'invoice payments not available; waiting for invoice_payment.paid');
    return null;
  }
}
