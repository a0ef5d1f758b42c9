import Stripe from 'stripe';
import type { AppDeps } from '../deps.js';
import { withLedger } from '../ledger/ledger.js';
import { alreadyApplied } from '../webhooks/journal.js';
import {
  type Applied,
  type ApplyContext,
  type EventOf,
  HANDLED_TYPES,
  type HandledType,
  applyEvent,
  prefetchEvent,
} from '../webhooks/handlers.js';
import { pinnedVersion, processEvent } from '../webhooks/routes.js';
import { type KnownFacts, knownFacts } from './known.js';
import { type Backoff, DEFAULT_BACKOFF, paged, withBackoff } from './paging.js';

/**
 * Reconciliation of any period (SPEC §12, STRIPE.md "Missed webhooks"), through the same
 * handlers and ledger calls as webhooks, so it can only record what a webhook would have:
 * - the last 30 days: Stripe's events API (the events Stripe could not deliver, filtered with
 *   `delivery_success=false` where the server supports it; otherwise every event, skipping those
 *   already applied), each through processEvent exactly as if it had been delivered;
 * - older than that (the events API keeps 30 days): the objects themselves, Checkout Sessions,
 *   invoices, refunds, disputes, charges (the books) and payouts, each compared with what the
 *   ledger holds and, where something is missing, applied as the event that would have said it,
 *   with the object as Stripe shows it now;
 * - events stored as failed are tried again.
 * Everything is idempotent (facts keyed by Stripe ids): a second run finds nothing missing.
 */

export interface ReconcileOptions {
  since: Date;
  until: Date;
  /** Report what is missing, write nothing. */
  dryRun?: boolean;
  backoff?: Partial<Backoff>;
}

interface Tally {
  seen: number;
  missing: number;
  recorded: number;
}

export interface ReconcileReport {
  since: string;
  until: string;
  dryRun: boolean;
  /** The part read from the events API, and the part read from the objects (null: none). */
  eventsWindow: { from: string; to: string } | null;
  objectsWindow: { from: string; to: string } | null;
  /** Whether the events API accepted delivery_success=false (null when not asked). */
  deliverySuccessFilter: boolean | null;
  events: Tally & { failed: number };
  retried: Tally;
  objects: Record<'sessions' | 'invoices' | 'refunds' | 'disputes' | 'charges' | 'payouts', Tally>;
  /** Requests refused with 429 and retried after a wait. */
  rateLimited: number;
  /** Facts recorded (or, in a dry run, that would be). */
  recovered: number;
  /** One line per thing found missing, and what was done. */
  lines: string[];
}

const EVENTS_WINDOW_S = 30 * 86_400;
/** The object walk overlaps the events window by a day: an event at its edge may be pruned mid-run. */
const OVERLAP_S = 86_400;
const MAX_LINES = 1_000;
/** Stored events that failed are tried again this many times, then left for the admin. */
const MAX_ATTEMPTS = 50;

const tally = (): Tally => ({ seen: 0, missing: 0, recorded: 0 });
const iso = (unix: number) => new Date(unix * 1000).toISOString();
const idOf = (x: string | { id: string } | null | undefined): string | null => (x == null ? null : typeof x === 'string' ? x : x.id);

/** A reconciled object was not ours after all (a subscription no gift knows): nothing written. */
class NotOurs extends Error {}

export async function reconcilePeriod(deps: AppDeps, opts: ReconcileOptions): Promise<ReconcileReport> {
  const now = Math.floor(deps.clock().getTime() / 1000);
  const since = Math.floor(opts.since.getTime() / 1000);
  // [since, until) in whole seconds; a period reaching now includes the current second.
  const until = Math.min(Math.ceil(opts.until.getTime() / 1000), now) >= now ? now + 1 : Math.ceil(opts.until.getTime() / 1000);
  const dryRun = opts.dryRun === true;
  const report: ReconcileReport = {
    since: iso(since),
    until: iso(until),
    dryRun,
    eventsWindow: null,
    objectsWindow: null,
    deliverySuccessFilter: null,
    events: { ...tally(), failed: 0 },
    retried: tally(),
    objects: { sessions: tally(), invoices: tally(), refunds: tally(), disputes: tally(), charges: tally(), payouts: tally() },
    rateLimited: 0,
    recovered: 0,
    lines: [],
  };
  const backoff: Backoff = { ...DEFAULT_BACKOFF, ...opts.backoff, onRateLimited: () => report.rateLimited++ };
  const line = (s: string) => {
    if (report.lines.length < MAX_LINES) report.lines.push(s);
    else if (report.lines.length === MAX_LINES) report.lines.push('… (more lines left out)');
  };
  const known = knownFacts(deps.db);
  const eventsFrom = Math.max(since, now - EVENTS_WINDOW_S);
  const objectsTo = Math.min(until, now - EVENTS_WINDOW_S + OVERLAP_S);

  if (since < objectsTo) {
    report.objectsWindow = { from: iso(since), to: iso(objectsTo) };
    await reconcileObjects(deps, { gte: since, lt: objectsTo }, { known, backoff, dryRun, report, line });
  }
  if (eventsFrom < until) {
    report.eventsWindow = { from: iso(eventsFrom), to: iso(until) };
    await reconcileEvents(deps, { gte: eventsFrom, lt: until }, { backoff, dryRun, report, line });
  }
  await retryFailedEvents(deps, { dryRun, report, line });
  report.recovered =
    report.events.recorded +
    report.retried.recorded +
    Object.values(report.objects).reduce((s, t) => s + t.recorded, 0) +
    (dryRun ? report.events.missing + report.retried.missing + Object.values(report.objects).reduce((s, t) => s + t.missing, 0) : 0);
  return report;
}

interface Run {
  backoff: Backoff;
  dryRun: boolean;
  report: ReconcileReport;
  line: (s: string) => void;
}

// ---- the last 30 days: the events API ----

async function reconcileEvents(deps: AppDeps, created: { gte: number; lt: number }, run: Run): Promise<void> {
  const { report, backoff } = run;
  // The events API takes at most 20 types per request.
  const chunks: HandledType[][] = [];
  for (let i = 0; i < HANDLED_TYPES.length; i += 20) chunks.push(HANDLED_TYPES.slice(i, i + 20));
  let filter = true;
  const list = (types: HandledType[], after: string | undefined) =>
    deps.stripe.events.list({
      types,
      created,
      limit: 100,
      ...(filter && { delivery_success: false }),
      ...(after && { starting_after: after }),
    });
  for (const types of chunks) {
    let events: AsyncGenerator<Stripe.Event>;
    try {
      // A Stripe-compatible server without delivery_success filtering refuses the parameter:
      // then every event of the period is read and those already applied are skipped.
      const first = await withBackoff(backoff, () => list(types, undefined));
      events = (async function* () {
        for (const e of first.data) yield e;
        const last = first.data.at(-1);
        if (first.has_more && last) yield* paged(backoff, (after) => list(types, after ?? last.id));
      })();
    } catch (err) {
      if (!(filter && err instanceof Stripe.errors.StripeInvalidRequestError && /delivery_success/.test(`${err.param} ${err.message}`)))
        throw err;
      filter = false;
      run.line('events API: delivery_success filtering is not available here; reading every event of the period');
      events = paged(backoff, (after) => list(types, after));
    }
    report.deliverySuccessFilter = filter;
    for await (const event of events) {
      report.events.seen++;
      if (await alreadyApplied(deps.db, event.id)) continue;
      report.events.missing++;
      if (run.dryRun) {
        run.line(`event ${event.id} (${event.type}, ${iso(event.created)}): not applied; would apply it`);
        continue;
      }
      const result = await processEvent(deps, event, JSON.stringify(event));
      if (result.outcome === 'failed' || result.outcome === 'unreadable') {
        report.events.failed++;
        run.line(`event ${event.id} (${event.type}): could not apply: ${result.detail}`);
      } else if (result.outcome === 'ignored') {
        // Stored as seen (another integration's checkout, a type-level no-op): nothing of ours was missing.
        report.events.missing--;
      } else {
        report.events.recorded++;
        run.line(
          `event ${event.id} (${event.type}, ${iso(event.created)}): applied (${result.outcome}${result.detail ? `: ${result.detail}` : ''})`,
        );
      }
    }
  }
}

async function retryFailedEvents(deps: AppDeps, run: Omit<Run, 'backoff'>): Promise<void> {
  const failed = await deps.db
    .selectFrom('stripe_events')
    .where('outcome', '=', 'failed')
    .where('attempts', '<', MAX_ATTEMPTS)
    .select(['id', 'type', 'payload'])
    .orderBy('created')
    .orderBy('id')
    .limit(500)
    .execute();
  for (const row of failed) {
    run.report.retried.seen++;
    run.report.retried.missing++;
    if (run.dryRun) {
      run.line(`stored event ${row.id} (${row.type}) failed before; would try it again`);
      continue;
    }
    const payload = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
    const result = await processEvent(deps, typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload, payload);
    if (result.outcome !== 'failed' && result.outcome !== 'unreadable') {
      run.report.retried.recorded++;
      run.line(`stored event ${row.id} (${row.type}): applied on retry`);
    }
  }
}

// ---- older than 30 days: the objects ----

/** The event a webhook would have brought, rebuilt around the object as Stripe shows it now. */
function rebuiltEvent<T extends HandledType>(
  type: T,
  object: EventOf<T>['data']['object'],
  objectId: string,
  created: number,
  apiVersion: string,
): EventOf<T> {
  // One cast: TypeScript cannot tie a generic T to the member of the Stripe.Event union it picks.
  return {
    id: `evt_reconcile_${objectId}`,
    object: 'event',
    api_version: apiVersion,
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type,
  } as unknown as EventOf<T>;
}

/**
 * Applies a rebuilt event through the handler (prefetch, then apply in a ledger transaction),
 * without a journal row: it is not one of Stripe's events. The object is today's state, so the
 * handler treats it as re-read. A handler that would park it (a subscription no gift knows)
 * rolls back instead: nothing of another installation's is kept.
 */
async function applyRebuilt<T extends HandledType>(
  deps: AppDeps,
  backoff: Backoff,
  type: T,
  object: EventOf<T>['data']['object'],
  objectId: string,
  created: number,
): Promise<Applied> {
  const event = rebuiltEvent(type, object, objectId, created, pinnedVersion(deps.stripe));
  const prepared = await withBackoff(backoff, () => prefetchEvent(type, event, { stripe: deps.stripe, reread: false }));
  return withLedger(deps.db, deps, async (ledger) => {
    const ctx: ApplyContext = {
      ledger,
      reread: true,
      log: deps.log,
      replay: (parked) => applyEvent(parked.type, parked, { ...ctx, reread: false }),
    };
    const result = await applyEvent(type, prepared, ctx);
    if (result.outcome === 'parked') throw new NotOurs('subscription of no known gift');
    return result;
  });
}

async function reconcileObjects(deps: AppDeps, created: { gte: number; lt: number }, run: Run & { known: KnownFacts }): Promise<void> {
  const { stripe } = deps;
  const { known, backoff, report, dryRun } = run;
  const now = Math.floor(deps.clock().getTime() / 1000);
  const page = { created, limit: 100 };
  // A dry run records nothing, so a refund of a payment it found missing would look like someone
  // else's: the PaymentIntents of missing sessions count as ours for the rest of the run.
  const missingOurs = new Set<string>();
  const ours = async (pi: string) => missingOurs.has(pi) || (await known.paymentIntentIsOurs(pi));
  const after = (a: string | undefined) => (a ? { starting_after: a } : {});

  /** Records one missing object (or says it would), counting it under `t`. */
  const fix = async (t: Tally, what: string, apply: () => Promise<Applied>) => {
    t.missing++;
    if (dryRun) {
      run.line(`${what}: missing; would record it`);
      return;
    }
    try {
      const r = await apply();
      t.recorded++;
      run.line(`${what}: recorded (${r.outcome}${r.detail ? `: ${r.detail}` : ''})`);
    } catch (err) {
      if (err instanceof NotOurs) {
        t.missing--;
        return;
      }
      throw err;
    }
  };

  // 1. Checkout Sessions: the one-time gifts and first monthly payments.
  for await (const s of paged(backoff, (a) =>
    stripe.checkout.sessions.list({ ...page, ...after(a), expand: ['data.payment_intent.latest_charge', 'data.invoice'] }),
  )) {
    const t = report.objects.sessions;
    t.seen++;
    const gift = await known.giftOfSession(s.id);
    if (!gift) continue; // not a gift of ours (another integration on the same account)
    const pi = s.payment_intent && typeof s.payment_intent === 'object' ? s.payment_intent : null;
    const invoice = s.invoice && typeof s.invoice === 'object' ? s.invoice : null;
    if (s.status === 'complete' && s.payment_status === 'paid') {
      const key = s.mode === 'subscription' ? idOf(s.invoice) : idOf(s.payment_intent);
      if (key && (await known.payment(key)) && gift.status === 'paid') continue;
      // When the money moved: the charge (one-time) or the invoice's payment (monthly).
      const charge = pi?.latest_charge && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
      const paidAt = charge?.created ?? invoice?.status_transitions?.paid_at ?? s.created;
      const piId = idOf(s.payment_intent);
      if (dryRun && piId) missingOurs.add(piId);
      await fix(t, `checkout ${s.id} (${s.amount_total ?? '?'} ${s.currency ?? ''}, paid ${iso(paidAt)})`, () =>
        applyRebuilt(deps, backoff, 'checkout.session.completed', s, s.id, paidAt),
      );
    } else if (s.status === 'complete' && s.payment_status === 'unpaid' && gift.status === 'created') {
      const failed = pi?.status === 'requires_payment_method' || pi?.status === 'canceled';
      await fix(t, `checkout ${s.id} (delayed payment ${failed ? 'failed' : 'pending'})`, () =>
        applyRebuilt(deps, backoff, failed ? 'checkout.session.async_payment_failed' : 'checkout.session.completed', s, s.id, s.created),
      );
    } else if (s.status === 'expired' && gift.status === 'created') {
      await fix(t, `checkout ${s.id} (expired)`, () => applyRebuilt(deps, backoff, 'checkout.session.expired', s, s.id, s.expires_at));
    }
  }

  // 2. Paid invoices: monthly renewals (and first payments, keyed the same as their checkout).
  for await (const inv of paged(backoff, (a) => stripe.invoices.list({ ...page, ...after(a), status: 'paid' }))) {
    const t = report.objects.invoices;
    t.seen++;
    const subscriptionId = idOf(inv.parent?.subscription_details?.subscription);
    if (!subscriptionId || inv.status !== 'paid') continue;
    // Known, and which PaymentIntent paid it too (a refund of it names only that).
    if ((await known.payment(inv.id))?.payment_intent_id) continue;
    if (!(await known.subscriptionIsOurs(subscriptionId, inv.parent?.subscription_details?.metadata?.gift_id))) continue;
    const paidAt = inv.status_transitions?.paid_at ?? inv.created;
    await fix(t, `invoice ${inv.id} (${inv.billing_reason}, ${inv.amount_paid} ${inv.currency}, paid ${iso(paidAt)})`, () =>
      applyRebuilt(deps, backoff, 'invoice.paid', inv, inv.id, paidAt),
    );
  }

  // 3. Refunds and 4. disputes: compared with the state we hold; today's state is applied as of now.
  for await (const r of paged(backoff, (a) => stripe.refunds.list({ ...page, ...after(a) }))) {
    const t = report.objects.refunds;
    t.seen++;
    const held = await known.refund(r.id);
    if (held && held.status === r.status && held.amount === r.amount) continue;
    let pi = idOf(r.payment_intent);
    if (!pi && idOf(r.charge)) pi = idOf((await withBackoff(backoff, () => stripe.charges.retrieve(idOf(r.charge)!))).payment_intent);
    if (!pi || !(await ours(pi))) continue;
    await fix(t, `refund ${r.id} (${r.amount} ${r.currency}, ${r.status}${held ? `; we held ${held.status}` : ''})`, () =>
      applyRebuilt(deps, backoff, 'refund.updated', { ...r, payment_intent: pi }, r.id, now),
    );
  }
  for await (const d of paged(backoff, (a) => stripe.disputes.list({ ...page, ...after(a) }))) {
    const t = report.objects.disputes;
    t.seen++;
    const held = await known.dispute(d.id);
    if (held && held.status === d.status && held.amount === d.amount) continue;
    let pi = idOf(d.payment_intent);
    if (!pi) pi = idOf((await withBackoff(backoff, () => stripe.charges.retrieve(idOf(d.charge)!))).payment_intent);
    if (!pi || !(await ours(pi))) continue;
    await fix(t, `dispute ${d.id} (${d.amount} ${d.currency}, ${d.status}${held ? `; we held ${held.status}` : ''})`, () =>
      applyRebuilt(deps, backoff, 'charge.dispute.updated', { ...d, payment_intent: pi }, d.id, now),
    );
  }

  // 5. Charges: the books (Stripe's fee and the net of each payment of ours).
  for await (const ch of paged(backoff, (a) => stripe.charges.list({ ...page, ...after(a), expand: ['data.balance_transaction'] }))) {
    const t = report.objects.charges;
    t.seen++;
    const txn = ch.balance_transaction;
    if (!txn || typeof txn === 'string' || (await known.balanceTransactionKnown(txn.id))) continue;
    const pi = idOf(ch.payment_intent);
    if (!pi || !(await ours(pi))) continue;
    await fix(t, `charge ${ch.id} (fee ${txn.fee}, net ${txn.net} ${txn.currency})`, () =>
      applyRebuilt(deps, backoff, 'charge.succeeded', ch, ch.id, ch.created),
    );
  }

  // 6. Payouts: which payout each balance transaction went out in.
  for await (const po of paged(backoff, (a) => stripe.payouts.list({ ...page, ...after(a), status: 'paid' }))) {
    const t = report.objects.payouts;
    t.seen++;
    if ((await known.payout(po.id))?.status === 'paid') continue;
    await fix(t, `payout ${po.id} (${po.amount} ${po.currency}, arrival ${iso(po.arrival_date)})`, () =>
      applyRebuilt(deps, backoff, 'payout.paid', po, po.id, now),
    );
  }
}
