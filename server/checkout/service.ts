import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type Stripe from 'stripe';
import type { Database } from '../../db/schema.js';
import { getCampaign, campaignStatus } from '../campaigns/service.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { chargeForAmount, checkAmount } from '../../common/money.js';
import { readBreaker, reportStripeFailure } from '../giving/breaker.js';
import { returnTarget } from './return-url.js';
import type { CheckoutInput } from './schemas.js';
import { type CheckoutFunnel, countCheckoutSession } from '../variants/checkout.js';

export interface StartCheckoutResult {
  id: string;
  url: string;
  giftId: string;
  amount: number;
  chargeAmount: number;
}

/**
 * Creates our gift record first (so every later Stripe event finds its campaign and donor text),
 * then the Checkout Session. Donor text stays in our database; only ids travel in metadata
 * (STRIPE.md: 500-char values, subscription PaymentIntents carry none).
 */
export async function startCheckout(
  deps: Pick<AppDeps, 'db' | 'stripe' | 'config' | 'clock' | 'log' | 'bus'>,
  slug: string,
  input: CheckoutInput,
  ctx: { clientIp: string; returnUrl?: string; pledgeId?: string; funnel?: CheckoutFunnel },
): Promise<StartCheckoutResult> {
  const { db, stripe, config } = deps;
  const campaign = await getCampaign(db, slug);
  const status = campaignStatus(campaign, deps.clock());
  if (status !== 'open') {
    const why = status === 'scheduled' ? 'has not started yet' : status === 'ended' ? 'has ended' : 'is closed';
    throw new AppError('campaign_closed', 409, `This campaign ${why} and is not taking gifts`);
  }
  const charge = input.coverFees ? chargeForAmount(input.amount, campaign.fee_rate_ppm, campaign.fee_fixed) : input.amount;
  const problem = checkAmount(input.amount, charge, campaign.currency, 'en-US');
  if (problem) throw new AppError(problem.code, 400, problem.message, 'amount');
  // Payments are down (breaker open, SPEC §13): no gift row, no call that would fail; the widget
  // turns to its pledge form on this code.
  if ((await readBreaker(db)).open) throw paymentsUnavailable();

  const giftId = randomUUID();
  await insertGift(db, {
    id: giftId,
    campaignId: campaign.id,
    currency: campaign.currency,
    input,
    charge,
    clientIp: ctx.clientIp,
    pledgeId: ctx.pledgeId ?? null,
    funnel: ctx.funnel ?? null,
  });

  // The page to return the donor to: origin + path, only on an allowed origin (return-url.ts).
  const back = returnTarget(ctx.returnUrl, campaign.allowed_origins, config.publicUrl);
  const metadata = { gift_id: giftId, campaign: campaign.slug };
  const monthly = input.frequency === 'monthly';
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: monthly ? 'subscription' : 'payment',
    submit_type: 'donate',
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: campaign.currency.toLowerCase(),
          unit_amount: charge,
          product_data: { name: `${monthly ? 'Monthly donation' : 'Donation'} to ${campaign.title}` },
          ...(monthly ? { recurring: { interval: 'month' as const } } : {}),
        },
      },
    ],
    success_url: `${config.publicUrl}/thanks?session_id={CHECKOUT_SESSION_ID}${back ? `&return=${encodeURIComponent(back)}` : ''}`,
    // Cancel lands on our own donate page, which offers the way back to the page the donor came
    // from as a visible link, re-checked against the allowed origins when the page is served.
    cancel_url: `${config.publicUrl}/donate/${encodeURIComponent(campaign.slug)}?canceled=1${back ? `&return=${encodeURIComponent(back)}` : ''}`,
    client_reference_id: giftId,
    metadata,
    ...(input.email ? { customer_email: input.email } : {}),
    ...(monthly ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
  };

  let session: Stripe.Checkout.Session;
  try {
    // One idempotency key per attempt: the SDK's own retries can never create a second session.
    session = await stripe.checkout.sessions.create(params, { idempotencyKey: `gift-${giftId}` });
  } catch (err) {
    await db.updateTable('gifts').set({ status: 'failed', updated_at: deps.clock() }).where('id', '=', giftId).execute();
    deps.log.error({ err: (err as Error).message, giftId }, 'checkout session creation failed');
    // An outage opens the breaker for every instance; the donor is offered a pledge instead.
    if (await reportStripeFailure(deps, err).catch(() => false)) throw paymentsUnavailable();
    const e = err as { type?: string; statusCode?: number; message?: string };
    if (e.type === 'StripeInvalidRequestError' && e.statusCode && e.statusCode < 500) {
      throw new AppError('payment_provider_refused', 400, `The payment provider refused this gift: ${e.message}`);
    }
    throw new AppError('payment_provider_unavailable', 502, 'The payment provider is unreachable; please try again in a minute');
  }
  if (!session.url) throw new AppError('payment_provider_unavailable', 502, 'The payment provider returned no checkout page');
  await db.updateTable('gifts').set({ checkout_session_id: session.id, updated_at: deps.clock() }).where('id', '=', giftId).execute();
  if (ctx.funnel) await countCheckoutSession(deps, campaign.id, ctx.funnel);
  return { id: session.id, url: session.url, giftId, amount: input.amount, chargeAmount: charge };
}

export function paymentsUnavailable() {
  return new AppError(
    'payments_unavailable',
    503,
    'Online payments are unavailable right now. You can leave a pledge and we will e-mail you once when you can complete it.',
  );
}

async function insertGift(
  db: Kysely<Database>,
  g: {
    id: string;
    campaignId: number;
    currency: string;
    input: CheckoutInput;
    charge: number;
    clientIp: string;
    pledgeId: string | null;
    funnel: CheckoutFunnel | null;
  },
) {
  await db
    .insertInto('gifts')
    .values({
      id: g.id,
      campaign_id: g.campaignId,
      source: 'stripe',
      frequency: g.input.frequency,
      currency: g.currency,
      amount: g.input.amount,
      fee_amount: g.charge - g.input.amount,
      charge_amount: g.charge,
      status: 'created',
      name: g.input.name ?? null,
      email: g.input.email ?? null,
      anonymous: g.input.anonymous,
      comment: g.input.comment ?? null,
      dedication_kind: g.input.dedication?.kind ?? null,
      dedication_name: g.input.dedication?.name ?? null,
      client_ip: g.clientIp,
      pledge_id: g.pledgeId,
      variant_id: g.funnel?.variantId ?? null,
      funnel_origin: g.funnel?.origin ?? null,
    })
    .execute();
}

export type CheckoutStatus = 'processing' | 'paid' | 'pending' | 'failed' | 'expired';

/** What /thanks shows: the landing page is not proof of payment, only our ledger is. */
export async function checkoutStatus(db: Kysely<Database>, sessionId: string) {
  const gift = await db
    .selectFrom('gifts as g')
    .innerJoin('campaigns as c', 'c.id', 'g.campaign_id')
    .where('g.checkout_session_id', '=', sessionId)
    .select(['g.id', 'g.status', 'g.amount', 'g.charge_amount', 'g.currency', 'g.frequency', 'c.slug', 'c.title'])
    // A receipt is owed (and queued with the payment) when the payment knew an e-mail address.
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('payments as p')
            .innerJoin('receipt_statements as r', 'r.payment_id', 'p.id')
            .whereRef('p.gift_id', '=', 'g.id')
            .select('p.id'),
        )
        .as('receipt'),
    )
    .executeTakeFirst();
  if (!gift) return null;
  const status: CheckoutStatus =
    gift.status === 'paid'
      ? 'paid'
      : gift.status === 'pending'
        ? 'pending'
        : gift.status === 'failed'
          ? 'failed'
          : gift.status === 'expired'
            ? 'expired'
            : 'processing';
  return {
    status,
    amount: gift.amount,
    chargeAmount: gift.charge_amount,
    currency: gift.currency,
    frequency: gift.frequency,
    campaign: { slug: gift.slug, title: gift.title },
    /** A receipt is on its way by e-mail (never says to which address: anyone may open /thanks). */
    receipt: Boolean(gift.receipt),
  };
}
