import type { Kysely } from 'kysely';
import type { PublicDonor } from '../../common/api.js';
import type { Database } from '../../db/schema.js';

export type { PublicDonor };

/**
 * The donor wall: most recent counted gifts. Never an e-mail; anonymous donors (and donors who
 * gave no name) are "Anonymous". Text is returned as data: whoever renders it renders it as text.
 */
export async function listPublicDonors(db: Kysely<Database>, campaignId: number, limit: number): Promise<PublicDonor[]> {
  const rows = await db
    .selectFrom('gifts as g')
    .where('g.campaign_id', '=', campaignId)
    .where('g.status', '=', 'paid')
    .where('g.show_on_wall', '=', true)
    .where((eb) =>
      eb.exists(eb.selectFrom('payments as p').select('p.id').whereRef('p.gift_id', '=', 'g.id').where('p.applied_donation', '=', 1)),
    )
    .select([
      'g.name',
      'g.anonymous',
      'g.amount',
      'g.currency',
      'g.frequency',
      'g.comment',
      'g.dedication_kind',
      'g.dedication_name',
      'g.created_at',
      'g.received_at',
    ])
    .orderBy('g.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    name: r.anonymous || !r.name ? 'Anonymous' : r.name,
    amount: r.amount,
    currency: r.currency,
    frequency: r.frequency,
    comment: r.comment,
    dedication: r.dedication_kind && r.dedication_name ? { kind: r.dedication_kind, name: r.dedication_name } : null,
    at: (r.received_at ?? r.created_at).toISOString(),
  }));
}
