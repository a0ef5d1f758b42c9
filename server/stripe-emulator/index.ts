/**
 * The built-in Stripe emulator (SPEC §2): used when STRIPE_SECRET_KEY is unset, reached by the app
 * only through the real `stripe` SDK pointed at this server. It serves `/v1/*` (the REST subset)
 * and `/emulator/*` (test checkout page, dashboard), keeps its state in memory, and delivers
 * signed webhooks to the app. Test mode only: it never touches real money or Stripe's servers.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type Stripe from 'stripe';
import { createApiRoutes } from './api.js';
import { DEFAULT_RETENTION, EmulatorCore, EmulatorError, type Outage, type Retention } from './core.js';
import { WebhookDelivery } from './delivery.js';
import { type AdminCheck, createPageRoutes, type PageControls } from './pages.js';

export { EmulatorError, type Outage, type Retention } from './core.js';
export type { AdminCheck, EmulatorAdmin } from './pages.js';

export interface EmulatorOptions {
  /** whsec_...; every delivery is signed with it. */
  webhookSecret: string;
  /** Base for hosted checkout URLs: `${publicUrl}/emulator/checkout/${session.id}`. Donors are
   * only ever redirected to this origin. */
  publicUrl: string;
  /** The only key /v1 accepts (Bearer). A random sk_test_ key per emulator when not given. */
  apiKey?: string;
  /** Who may see the dashboard and run its actions: the host app's signed-in admin, or null. */
  admin: AdminCheck;
  /** What is kept in memory (core.ts DEFAULT_RETENTION); tests lower the caps. */
  retention?: Partial<Retention>;
  /** POSTs one event to the app's /webhooks/stripe. */
  deliver: (body: string, headers: Record<string, string>) => Promise<{ status: number }>;
  clock?: () => Date;
  /** Retry schedule after a non-2xx answer or a thrown error; tests pass [] or small values. */
  retryDelaysMs?: number[];
  /** How long after "Pay with delayed method" on the checkout page the bank answers (default 5 s). */
  asyncSettleDelayMs?: number;
  log?: { info(...a: unknown[]): void; warn(...a: unknown[]): void };
}

export interface StripeEmulator {
  app: Hono;
  /** The key the SDK client must send. */
  apiKey: string;
  /** How many objects, events and keys are held (bounded by the retention rules). */
  stats(): ReturnType<EmulatorCore['stats']>;
  fetch: typeof fetch;
  completeCheckout(sessionId: string, outcome?: 'paid' | 'async_pending', details?: { email?: string; name?: string }): Promise<void>;
  settleAsync(sessionId: string, outcome: 'succeeded' | 'failed'): Promise<void>;
  /** The donor pressed cancel: no webhook, the session stays open. Resolves to its cancel_url. */
  cancelCheckout(sessionId: string): Promise<string | null>;
  expireCheckout(sessionId: string): Promise<void>;
  renewSubscription(subscriptionId: string, opts?: { paidAt?: Date }): Promise<void>;
  cancelSubscription(subscriptionId: string): Promise<void>;
  /** A renewal the card declines: open invoice, invoice.payment_failed, subscription past_due. Resolves to the invoice id. */
  failRenewal(subscriptionId: string): Promise<string>;
  /** customer.source.expiring for a (legacy) card of this customer, expiring this month. */
  cardExpiring(customerId: string): Promise<void>;
  /** invoice.upcoming for the subscription's next renewal (Stripe sends it days before). */
  upcomingRenewal(subscriptionId: string): Promise<void>;
  refund(paymentIntentId: string, amount?: number): Promise<void>;
  dispute(paymentIntentId: string, opts?: { amount?: number }): Promise<string>;
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void>;
  /** Pays out everything available (one payout per currency, payout.created + payout.paid). */
  payout(opts?: { instant?: boolean }): Promise<Stripe.Payout[]>;
  events(): Stripe.Event[];
  /** Simulates a Stripe outage for the app's SDK (not for the hosted pages): see core.ts Outage. */
  setOutage(outage: Outage): void;
  outage(): Outage;
  flush(): Promise<void>;
  close(): void;
}

export function createStripeEmulator(opts: EmulatorOptions): StripeEmulator {
  const clock = opts.clock ?? (() => new Date());
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  const delivery = new WebhookDelivery({
    webhookSecret: opts.webhookSecret,
    deliver: opts.deliver,
    retryDelaysMs: opts.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000],
    log: opts.log,
  });
  const core = new EmulatorCore(publicUrl, clock, delivery, { ...DEFAULT_RETENTION, ...opts.retention });
  const apiKey =
    opts.apiKey ??
    `sk_test_emulator_${randomBytes(24)
      .toString('base64url')
      .replace(/[^A-Za-z0-9]/g, '0')}`;

  // Delayed-method settlements started from the checkout page; flush() waits for them too.
  const settlements = new Set<{ timer: NodeJS.Timeout; done: Promise<void>; fire: () => void }>();
  let closed = false;
  const settleLater = (id: string, outcome: 'succeeded' | 'failed') => {
    if (closed) return;
    let fire!: () => void;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const entry = {
      timer: setTimeout(() => fire(), opts.asyncSettleDelayMs ?? 5_000),
      fire,
      done: fired.then(async () => {
        settlements.delete(entry);
        if (closed) return;
        try {
          await core.settleAsync(id, outcome);
        } catch (err) {
          // Already settled by hand from the dashboard: nothing left to do.
          if (!(err instanceof EmulatorError)) opts.log?.warn({ err, session: id }, 'emulator settlement failed');
        }
      }),
    };
    settlements.add(entry);
  };

  const emulator: StripeEmulator = {
    app: new Hono(),
    apiKey,
    stats: () => core.stats(),
    fetch: async (input, init) => {
      const req = input instanceof Request && !init ? input : new Request(input, init);
      // As when api.stripe.com cannot be reached: the SDK sees a failed fetch (StripeConnectionError).
      if (core.outage === 'unreachable' && new URL(req.url).pathname.startsWith('/v1/')) throw new TypeError('fetch failed');
      return emulator.app.fetch(req);
    },
    completeCheckout: (id, outcome = 'paid', details = {}) => core.completeCheckout(id, outcome, details),
    settleAsync: (id, outcome) => core.settleAsync(id, outcome),
    cancelCheckout: async (id) => core.getSession(id).session.cancel_url,
    expireCheckout: async (id) => {
      await core.expire(id).delivered;
    },
    renewSubscription: (id, o) => core.renewSubscription(id, o),
    cancelSubscription: async (id) => {
      await core.cancelSubscription(id).delivered;
    },
    failRenewal: (id) => core.failRenewal(id),
    cardExpiring: (customerId) => core.cardExpiring(customerId),
    upcomingRenewal: (id) => core.upcomingRenewal(id),
    refund: (id, amount) => core.refund(id, amount),
    dispute: (id, o) => core.dispute(id, o),
    closeDispute: (id, outcome) => core.closeDispute(id, outcome),
    payout: async (o) => (await core.payout(o)) as unknown as Stripe.Payout[],
    events: () => [...core.events] as unknown as Stripe.Event[],
    setOutage: (outage) => {
      core.outage = outage;
    },
    outage: () => core.outage,
    flush: async () => {
      await delivery.flush();
      while (settlements.size > 0) {
        await Promise.all([...settlements].map((s) => s.done));
        await delivery.flush();
      }
    },
    close: () => {
      closed = true;
      for (const s of settlements) {
        clearTimeout(s.timer);
        s.fire();
      }
      delivery.close();
    },
  };

  const controls: PageControls = {
    completeCheckout: emulator.completeCheckout,
    settleAsync: emulator.settleAsync,
    settleLater,
    expireCheckout: emulator.expireCheckout,
    renewSubscription: (id) => emulator.renewSubscription(id),
    cancelSubscription: emulator.cancelSubscription,
    failRenewal: emulator.failRenewal,
    upcomingRenewal: emulator.upcomingRenewal,
    refund: emulator.refund,
    dispute: emulator.dispute,
    closeDispute: emulator.closeDispute,
    setOutage: emulator.setOutage,
    payout: async () => (await core.payout({ instant: true })).length,
  };

  const pages = createPageRoutes(core, controls, publicUrl, opts.admin);
  emulator.app.onError((err, c) => {
    opts.log?.warn({ err }, 'emulator page error');
    return c.text('The Stripe emulator hit an unexpected error; see the server log.', 500);
  });
  emulator.app.route('/', createApiRoutes(core, clock, apiKey, opts.log));
  emulator.app.route('/', pages);
  return emulator;
}
