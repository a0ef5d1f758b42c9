import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { decodeCursor, encodeCursor } from './donations.js';

/** Daily-digest sign-ups (table owned by the demo-page work), newest first, keyset-paged by id. */
export async function listDigestSubscribers(db: Kysely<Database>, page: { cursor?: string; limit: number }) {
  let q = db.selectFrom('digest_subscribers').select(['id', 'email', 'consented_at', 'created_at', 'source_ip']);
  const c = decodeCursor(page.cursor);
  if (c && Number.isSafeInteger(c[0])) q = q.where('id', '<', c[0] as number);
  const rows = await q.orderBy('id', 'desc').limit(page.limit + 1).execute();
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const total = await db.selectFrom('digest_subscribers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return {
    total: Number(total.n),
    subscribers: pageRows.map((r) => ({
      id: r.id,
      email: r.email,
      consentedAt: r.consented_at.toISOString(),
      createdAt: r.created_at.toISOString(),
      sourceIp: r.source_ip,
    })),
    nextCursor: more && last ? encodeCursor([last.id]) : null,
  };
}
