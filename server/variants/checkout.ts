import type { CampaignWithTotals } from '../campaigns/repository.js';
import type { AppDeps } from '../deps.js';
import { orgTimeZone } from '../settings/service.js';
import { countCheckout, funnelOrigin } from './funnel.js';
import { countableVariants } from './service.js';

/** What a banner checkout tells the funnel: the variant the reader saw and the embedding origin. */
export interface CheckoutFunnel {
  variantId: number | null;
  /** An allowed embedding origin, or '' (our own pages, direct, or an origin we do not know). */
  origin: string;
}

/**
 * The gift's funnel key. The Origin header (set by the browser) is kept only when it is one of
 * the campaign's embedding origins; an unknown or stopped-long-ago variant is recorded as none,
 * never refused: a reader must always be able to give.
 */
export async function checkoutFunnel(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  campaign: CampaignWithTotals,
  variant: string | undefined,
  origin: string | undefined,
): Promise<CheckoutFunnel> {
  const variantId = variant ? ((await countableVariants(deps.db, campaign.id, deps.clock())).get(variant) ?? null) : null;
  return { variantId, origin: funnelOrigin(origin, campaign.allowed_origins) };
}

/** The Checkout Session exists: one more checkout started for this day, variant and origin. */
export async function countCheckoutSession(deps: Pick<AppDeps, 'db' | 'clock' | 'config'>, campaignId: number, f: CheckoutFunnel) {
  const timeZone = await orgTimeZone(deps.db, deps.config);
  await countCheckout(deps.db, { campaignId, variantId: f.variantId, origin: f.origin, now: deps.clock(), timeZone });
}
