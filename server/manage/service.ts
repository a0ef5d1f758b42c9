import type { Kysely, Transaction } from 'kysely';
import type Stripe from 'stripe';
import { checkAmount } from '../../common/money.js';
import type { Database, Gift } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueMail } from '../mail/queue.js';
import type { GiftMailBase, MailKinds } from '../mail/templates.js';
import { linkSigner } from './links.js';

/**
 * What a monthly donor can do from a manage link (SPEC §10). Every change goes to Stripe and
 * nothing here writes money or a gift's state: the change comes back as webhooks
 * (customer.subscription.updated / deleted, invoice.voided, checkout.session.completed in setup
 * mode) and the ledger records it like any other fact.
 */

/** Subscription states in which a monthly gift will be charged again (as the dashboard counts). */
export const LIVE_SUBSCRIPTION = ['active', 'trialing', 'past_due', 'unpaid', 'incomplete'];

export type ManagedGift = Pick<
  Gift,
  'id' | 'campaign_id' | 'currency' | 'charge_amount' | 'subscription_amount' | 'subscription_id' | 'customer_id' | 'email' | 'name'
> & { campaign_title: string; campaign_slug: string };

export async function findManagedGift(db: Kysely<Database>, giftId: string): Promise<ManagedGift | undefined> {
  return db
    .selectFrom('gifts as g')
    .innerJoin('campaigns as c', 'c.id', 'g.campaign_id')
    .where('g.id', '=', giftId)
    .where('g.source', '=', 'stripe')
    .where('g.frequency', '=', 'monthly')
    .select([
      'g.id',
      'g.campaign_id',
      'g.currency',
      'g.charge_amount',
      'g.subscription_amount',
      'g.subscription_id',
      'g.customer_id',
      'g.email',
      'g.name',
      'c.title as campaign_title',
      'c.slug as campaign_slug',
    ])
    .executeTakeFirst();
}

export interface SubscriptionView {
  status: Stripe.Subscription.Status;
  /** Per period, in minor units, what the subscription charges now. */
  amount: number;
  currency: string;
  /** The next charge, or null when none will come (canceled, or ending at the period end). */
  nextPaymentAt: Date | null;
  card: { brand: string; last4: string; expMonth: number; expYear: number } | null;
  canceledAt: Date | null;
}

const idOf = (x: string | { id: string } | null | undefined): string | null => (x == null ? null : typeof x === 'string' ? x : x.id);

/** What a subscription charges per period; undefined when the object carries no items (an event
 * rendered without them tells nothing about the amount, which is then left as it was). */
export function amountOf(sub: Pick<Stripe.Subscription, 'items'>): number | undefined {
  const items: Stripe.SubscriptionItem[] | undefined = sub.items?.data;
  if (!Array.isArray(items) || items.length === 0) return undefined;
  let total = 0;
  for (const i of items) {
    if (typeof i.price?.unit_amount !== 'number') return undefined;
    total += i.price.unit_amount * (i.quantity ?? 1);
  }
  return total;
}

/** Read live from Stripe (pinned version): the manage page shows what Stripe will do next. */
export async function viewSubscription(stripe: Stripe, subscriptionId: string): Promise<SubscriptionView> {
  const sub = await stripe.subscriptions.retrieve(subscriptionId, { expand: ['default_payment_method'] });
  const pm = sub.default_payment_method;
  const card = pm && typeof pm === 'object' && pm.card ? pm.card : null;
  const live = LIVE_SUBSCRIPTION.includes(sub.status) && !sub.cancel_at_period_end && sub.cancel_at === null;
  // API 2025+: the billing period lives on each subscription item.
  const periodEnd = sub.items.data[0]?.current_period_end ?? null;
  return {
    status: sub.status,
    amount: amountOf(sub) ?? 0,
    currency: sub.currency,
    nextPaymentAt: live && periodEnd ? new Date(periodEnd * 1000) : null,
    card: card ? { brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year } : null,
    canceledAt: sub.canceled_at ? new Date(sub.canceled_at * 1000) : null,
  };
}

function requireSubscription(gift: ManagedGift): string {
  if (!gift.subscription_id) throw new AppError('not_started', 409, 'This monthly gift has not started yet; please try again in a minute.');
  return gift.subscription_id;
}

/**
 * A new monthly amount from the next payment on: the subscription item gets a new inline price
 * (`price_data` needs the product of the current price) and nothing is prorated, so the donor is
 * never charged a difference for the month already paid.
 */
export async function changeAmount(deps: Pick<AppDeps, 'stripe'>, gift: ManagedGift, amount: number): Promise<void> {
  const problem = checkAmount(amount, amount, gift.currency, 'en-US');
  if (problem) throw new AppError(problem.code, 400, problem.message, 'amount');
  const sub = await deps.stripe.subscriptions.retrieve(requireSubscription(gift));
  if (!LIVE_SUBSCRIPTION.includes(sub.status)) throw new AppError('subscription_ended', 409, 'This monthly gift has ended.');
  const item = sub.items.data[0];
  if (!item) throw new AppError('subscription_empty', 409, 'This monthly gift has nothing to change.');
  if (amountOf(sub) === amount) return;
  const product = idOf(item.price.product);
  if (!product) throw new AppError('subscription_empty', 409, 'This monthly gift has nothing to change.');
  await deps.stripe.subscriptions.update(
    sub.id,
    {
      items: [
        {
          id: item.id,
          quantity: 1,
          price_data: {
            currency: sub.currency,
            product,
            unit_amount: amount,
            recurring: {
              interval: item.price.recurring?.interval ?? 'month',
              interval_count: item.price.recurring?.interval_count ?? 1,
            },
          },
        },
      ],
      proration_behavior: 'none',
    },
    // The same change pressed twice (or retried by the SDK) is one update.
    { idempotencyKey: `manage-amount-${sub.id}-${item.price.id}-${amount}` },
  );
}

/**
 * Update card: a Checkout Session in setup mode for the gift's customer. When it completes
 * (webhook, or the return page, whichever comes first), applyCardSetup makes the new card the
 * subscription's default_payment_method; Checkout does not do that by itself.
 */
export async function startCardUpdate(
  deps: Pick<AppDeps, 'stripe' | 'config'>,
  gift: ManagedGift,
  token: string,
  now: Date,
): Promise<string> {
  const subscriptionId = requireSubscription(gift);
  if (!gift.customer_id) throw new AppError('not_started', 409, 'This monthly gift has not started yet; please try again in a minute.');
  const base = deps.config.publicUrl;
  const back = `${base}/manage?token=${encodeURIComponent(token)}`;
  const metadata = { purpose: 'card_update', gift_id: gift.id, subscription_id: subscriptionId };
  const session = await deps.stripe.checkout.sessions.create(
    {
      mode: 'setup',
      currency: gift.currency.toLowerCase(),
      customer: gift.customer_id,
      metadata,
      setup_intent_data: { metadata },
      success_url: `${base}/manage/card/done?token=${encodeURIComponent(token)}&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: back,
    },
    // One session per gift per minute: a double click does not open two.
    { idempotencyKey: `manage-card-${gift.id}-${Math.floor(now.getTime() / 60_000)}` },
  );
  if (!session.url) throw new AppError('payment_provider_unavailable', 502, 'The payment provider returned no page to add a card');
  return session.url;
}

export type CardSetupOutcome = 'updated' | 'pending' | 'not_ours';

/**
 * A completed setup session → its card becomes the subscription's default payment method.
 * Idempotent (same session, same card, same key). Stripe's ids decide: the subscription named in
 * our metadata must belong to the session's own customer, or nothing is changed.
 */
export async function applyCardSetup(stripe: Stripe, session: Stripe.Checkout.Session): Promise<CardSetupOutcome> {
  if (session.mode !== 'setup' || session.metadata?.purpose !== 'card_update') return 'not_ours';
  if (session.status !== 'complete') return 'pending';
  const subscriptionId = session.metadata?.subscription_id;
  const setupIntentId = idOf(session.setup_intent);
  if (!subscriptionId || !setupIntentId) return 'not_ours';
  const setupIntent = await stripe.setupIntents.retrieve(setupIntentId);
  const paymentMethod = idOf(setupIntent.payment_method);
  if (setupIntent.status !== 'succeeded' || !paymentMethod) return 'pending';
  const sub = await stripe.subscriptions.retrieve(subscriptionId);
  if (idOf(sub.customer) !== idOf(session.customer)) return 'not_ours';
  if (idOf(sub.default_payment_method) === paymentMethod) return 'updated';
  await stripe.subscriptions.update(
    subscriptionId,
    { default_payment_method: paymentMethod },
    { idempotencyKey: `manage-card-set-${session.id}` },
  );
  return 'updated';
}

export const CANCEL_FEEDBACK = {
  too_expensive: 'I can no longer afford it',
  unused: 'I would rather give in another way',
  customer_service: 'I am unhappy with the organisation',
  other: 'Another reason',
} as const satisfies Partial<Record<Stripe.SubscriptionCancelParams.CancellationDetails.Feedback, string>>;
export type CancelFeedback = keyof typeof CANCEL_FEEDBACK;

/**
 * Cancel now (no proration, no final invoice), then void the subscription's open invoices so a
 * failed renewal is not collected after the donor said stop. Safe to repeat: an already canceled
 * subscription only has its open invoices voided.
 */
export async function cancelGift(
  deps: Pick<AppDeps, 'stripe' | 'log'>,
  gift: ManagedGift,
  reason: { feedback: CancelFeedback | null; comment: string | null },
): Promise<void> {
  const subscriptionId = requireSubscription(gift);
  const sub = await deps.stripe.subscriptions.retrieve(subscriptionId);
  if (sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
    await deps.stripe.subscriptions.cancel(
      subscriptionId,
      {
        invoice_now: false,
        prorate: false,
        cancellation_details: { feedback: reason.feedback ?? '', comment: reason.comment ?? '' },
      },
      { idempotencyKey: `manage-cancel-${subscriptionId}` },
    );
  }
  for await (const inv of deps.stripe.invoices.list({ subscription: subscriptionId, status: 'open', limit: 100 })) {
    await deps.stripe.invoices.voidInvoice(inv.id, {}, { idempotencyKey: `manage-void-${inv.id}` });
    deps.log.info({ giftId: gift.id, invoice: inv.id }, 'open invoice of a canceled monthly gift voided');
  }
}

/**
 * "Send me my link": one mail with the manage links of the live monthly gifts of this address,
 * if it has any. The caller answers the same whatever happened (no enumeration).
 */
export async function mailManageLinks(deps: Pick<AppDeps, 'db' | 'config'>, email: string, now: Date): Promise<boolean> {
  const address = email.trim().toLowerCase();
  const gifts = await deps.db
    .selectFrom('gifts as g')
    .innerJoin('campaigns as c', 'c.id', 'g.campaign_id')
    .where('g.source', '=', 'stripe')
    .where('g.frequency', '=', 'monthly')
    .where('g.status', '=', 'paid')
    .where('g.subscription_id', 'is not', null)
    .where((eb) => eb.or([eb('g.subscription_status', 'is', null), eb('g.subscription_status', 'in', LIVE_SUBSCRIPTION)]))
    .where((eb) => eb.fn('lower', ['g.email']), '=', address)
    .select(['g.id', 'g.currency', 'g.charge_amount', 'g.subscription_amount', 'c.title'])
    .orderBy('g.created_at')
    .limit(20)
    .execute();
  if (!gifts.length) return false;
  const signer = await linkSigner(deps.db, deps.config);
  const links = gifts.map((g) => ({
    campaign: g.title,
    amount: g.subscription_amount ?? g.charge_amount,
    currency: g.currency,
    url: signer.manageUrl(g.id, now),
  }));
  return queueMail(deps.db, {
    kind: 'manage.link',
    to: address,
    factKey: `manage.link:${address}:${now.toISOString()}`,
    data: { links },
    at: now,
  });
}

/**
 * Queues one of the mails about a monthly gift in the caller's (the webhook's) transaction, once
 * per fact (factKey). No address, no mail.
 */
export async function queueGiftMail<K extends 'subscription.canceled' | 'payment.failed' | 'card.expiring'>(
  trx: Transaction<Database>,
  kind: K,
  gift: Pick<Gift, 'id' | 'campaign_id' | 'email' | 'name' | 'currency' | 'charge_amount' | 'subscription_amount'>,
  extra: Omit<MailKinds[K], keyof GiftMailBase>,
  opts: { factKey: string; at: Date; to?: string | null; amount?: number },
): Promise<boolean> {
  const to = gift.email ?? opts.to;
  if (!to) return false;
  const campaign = await trx.selectFrom('campaigns').select('title').where('id', '=', gift.campaign_id).executeTakeFirstOrThrow();
  const base: GiftMailBase = {
    donorName: gift.name,
    campaign: campaign.title,
    amount: opts.amount ?? gift.subscription_amount ?? gift.charge_amount,
    currency: gift.currency,
  };
  const data = { ...base, ...extra } as MailKinds[K];
  return queueMail(trx, { kind, to, factKey: opts.factKey, data, at: opts.at });
}
