import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { decodeCursor, encodeCursor } from './donations.js';

/**
 * Daily-digest subscribers, newest first, keyset-paged by id. Only confirmed addresses are
 * subscribers (double opt-in, SPEC §10): pending sign-ups and unsubscribed addresses are neither
 * listed nor exported.
 */
export async function listDigestSubscribers(db: Kysely<Database>, page: { cursor?: string; limit: number }) {
  let q = db
    .selectFrom('digest_subscribers')
    .select(['id', 'email', 'consented_at', 'confirmed_at', 'created_at', 'source_ip', 'source_page'])
    .where('status', '=', 'confirmed');
  const c = decodeCursor(page.cursor);
  if (c && Number.isSafeInteger(c[0])) q = q.where('id', '<', c[0] as number);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const total = await db
    .selectFrom('digest_subscribers')
    .where('status', '=', 'confirmed')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    total: Number(total.n),
    subscribers: pageRows.map((r) => ({
      id: r.id,
      email: r.email,
      consentedAt: r.consented_at.toISOString(),
      confirmedAt: r.confirmed_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
      sourceIp: r.source_ip,
      sourcePage: r.source_page,
    })),
    nextCursor: more && last ? encodeCursor([last.id]) : null,
  };
}
