import { makeCampaign, makeGift } from '../../helpers/factories.js';
import type { TestContext } from '../../helpers/app.js';
import { charge, checkoutSession, event, sid } from '../../helpers/events.js';

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Campaigns open from 2025 to 2028, so every test payment also counts for its campaign. */
export async function openCampaigns(ctx: TestContext) {
  const window = { startsAt: new Date('2025-01-01T00:00:00Z'), endsAt: new Date('2028-01-01T00:00:00Z') };
  const usd = await makeCampaign(ctx.db, { ...window, title: 'Keep the presses running', currency: 'USD' });
  const eur = await makeCampaign(ctx.db, { ...window, title: 'Fonds européen', currency: 'EUR' });
  return { usd, eur };
}

/**
 * A one-time gift paid through Checkout at `paidAt` (the event's time is the payment's), the way
 * Stripe reports it; `refunded` adds a charge.refunded event with that cumulative amount.
 */
export async function paidGift(
  ctx: TestContext,
  campaign: { id: number; slug: string; currency: string },
  o: { email: string; name?: string; comment?: string; amount: number; paidAt: string; refunded?: number },
) {
  const g = await makeGift(ctx.db, campaign, { email: o.email, amount: o.amount, name: o.name ?? null, comment: o.comment ?? null });
  const pi = sid('pi');
  const ref = { id: g.id, amount: o.amount, campaignSlug: campaign.slug, email: o.email, currency: campaign.currency };
  const res = await ctx.deliver(event('checkout.session.completed', checkoutSession(ref, { paymentIntent: pi }), unix(o.paidAt)));
  if (res.status !== 200) throw new Error(`webhook ${res.status}: ${await res.text()}`);
  if (o.refunded) {
    const r = await ctx.deliver(
      event(
        'charge.refunded',
        charge({ id: sid('ch'), paymentIntent: pi, amount: o.amount, amountRefunded: o.refunded }),
        unix(o.paidAt) + 3600,
      ),
    );
    if (r.status !== 200) throw new Error(`webhook ${r.status}: ${await r.text()}`);
  }
  const payment = await ctx.db.selectFrom('payments').select('id').where('gift_id', '=', g.id).executeTakeFirstOrThrow();
  return { giftId: g.id, paymentId: payment.id, paymentIntent: pi };
}
