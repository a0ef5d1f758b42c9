import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { createCampaign } from '../../server/campaigns/service.js';
import type { CreateCampaignInput } from '../../server/campaigns/schemas.js';

export async function makeCampaign(db: Kysely<Database>, over: Partial<CreateCampaignInput> = {}) {
  return createCampaign(db, {
    slug: `c-${randomUUID().slice(0, 8)}`,
    title: 'Test campaign',
    headline: 'Urgent End Of Year Fundraising Campaign',
    message: 'Online donations are back!',
    currency: 'USD',
    goal: 1_000_000,
    startsAt: new Date('2026-11-01T00:00:00Z'),
    endsAt: new Date('2026-12-31T23:59:59Z'),
    presets: [1000, 2500, 5000],
    feeRate: { ppm: 29_000 }, // 2.9 %
    feeFixed: 30,
    ...over,
  });
}

/** A gift as the checkout endpoint leaves it before Stripe answers (for webhook-only tests). */
export async function makeGift(
  db: Kysely<Database>,
  campaign: { id: number; currency: string },
  over: {
    amount?: number;
    frequency?: 'once' | 'monthly';
    email?: string | null;
    name?: string | null;
    anonymous?: boolean;
    comment?: string | null;
  } = {},
) {
  const id = randomUUID();
  const amount = over.amount ?? 2500;
  await db
    .insertInto('gifts')
    .values({
      id,
      campaign_id: campaign.id,
      source: 'stripe',
      frequency: over.frequency ?? 'once',
      currency: campaign.currency,
      amount,
      charge_amount: amount,
      status: 'created',
      email: over.email === undefined ? `donor-${id.slice(0, 6)}@example.org` : over.email,
      name: over.name ?? null,
      anonymous: over.anonymous ?? false,
      comment: over.comment ?? null,
    })
    .execute();
  return { id, amount, frequency: over.frequency ?? 'once' };
}
