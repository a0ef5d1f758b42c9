import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CampaignWithTotals } from '../campaigns/repository.js';
import { frequencyOf } from '../campaigns/service.js';
import { ppmToDecimal } from '../../common/money.js';
import { decodeCursor, encodeCursor } from './donations.js';

type Db = Kysely<Database> | Transaction<Database>;
type Entity = 'campaign' | 'gift' | 'admin' | 'organisation' | 'donor';
type Snapshot = Record<string, unknown>;

export async function audit(
  db: Db,
  entry: {
    adminId: number | null;
    action: string;
    entity: Entity;
    entityId: string | number;
    before?: Snapshot | null;
    after?: Snapshot | null;
    at: Date;
  },
): Promise<void> {
  await db
    .insertInto('admin_audit_log')
    .values({
      admin_id: entry.adminId,
      // The actor's e-mail as of now: the row still says who acted after that admin is removed.
      admin_email: entry.adminId === null ? null : db.selectFrom('admins').where('id', '=', entry.adminId).select('email'),
      action: entry.action,
      entity: entry.entity,
      entity_id: String(entry.entityId),
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
      at: entry.at,
    })
    .execute();
}

/** Only the fields that changed, on both sides, so an entry reads "goal: 5000 → 7500". */
export function diff(before: Snapshot, after: Snapshot): { before: Snapshot; after: Snapshot } | null {
  const b: Snapshot = {};
  const a: Snapshot = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key] ?? null;
      a[key] = after[key] ?? null;
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

/** The campaign's settings (not its totals, which only the ledger moves). */
export function campaignSnapshot(c: CampaignWithTotals): Snapshot {
  return {
    slug: c.slug,
    title: c.title,
    headline: c.headline,
    message: c.message,
    currency: c.currency,
    goal: c.goal,
    startsAt: c.starts_at.toISOString(),
    endsAt: c.ends_at.toISOString(),
    presets: c.presets,
    feeRate: ppmToDecimal(c.fee_rate_ppm),
    feeFixed: c.fee_fixed,
    match: c.match_ratio_ppm && c.match_cap != null ? { ratio: c.match_ratio_ppm / 1e6, cap: c.match_cap } : null,
    archivedAt: c.archived_at?.toISOString() ?? null,
    allowedOrigins: c.allowed_origins,
    frequency: frequencyOf(c) ?? null,
  };
}

export function offlineGiftSnapshot(g: {
  amount: number;
  currency: string;
  receivedAt: string | null;
  name: string | null;
  email: string | null;
  note: string | null;
  status: string;
  showOnWall?: boolean;
  anonymous?: boolean;
}): Snapshot {
  return {
    amount: g.amount,
    currency: g.currency,
    receivedAt: g.receivedAt,
    name: g.name,
    email: g.email,
    note: g.note,
    voided: g.status === 'voided',
    showOnWall: g.showOnWall ?? false,
    anonymous: g.anonymous ?? false,
  };
}

export async function listAudit(db: Kysely<Database>, q: { entity?: Entity; entityId?: string; cursor?: string; limit: number }) {
  let query = db
    .selectFrom('admin_audit_log as l')
    .leftJoin('admins as a', 'a.id', 'l.admin_id')
    .select((eb) => [
      'l.id',
      'l.action',
      'l.entity',
      'l.entity_id',
      'l.before',
      'l.after',
      'l.at',
      eb.fn.coalesce('l.admin_email', 'a.email').as('admin_email'),
    ]);
  if (q.entity) query = query.where('l.entity', '=', q.entity);
  if (q.entityId) query = query.where('l.entity_id', '=', q.entityId);
  const c = decodeCursor(q.cursor);
  if (c && Number.isSafeInteger(c[0])) query = query.where('l.id', '<', c[0] as number);
  const rows = await query
    .orderBy('l.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return {
    entries: page.map((r) => ({
      id: r.id,
      admin: r.admin_email ?? null,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      before: r.before ?? null,
      after: r.after ?? null,
      at: r.at.toISOString(),
    })),
    nextCursor: more && page.length ? encodeCursor([page[page.length - 1]!.id]) : null,
  };
}
