import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/schema.js';
import { campaignDashboard } from '../../../server/admin/dashboard.js';
import { findBySlug } from '../../../server/campaigns/repository.js';
import { raisedPerDay } from '../../../server/campaigns/pace-query.js';
import { migrateTo, migrateToLatest } from '../../../db/migrate.js';
import { withLedger } from '../../../server/ledger/ledger.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';
import { runs } from '../../helpers/property.js';

/**
 * campaign_slots (migrations/0022): the dashboard's daily chart and the pace report read payments
 * rolled up per campaign and 15-minute slot of UTC. The rollup must be exactly what summing the
 * payments themselves gives (not voided, in the window: sum(applied_raised), sum(amount),
 * sum(applied_donation), and a row exactly where such a payment exists), after any mix of the
 * ledger's writes, run concurrently as webhooks and admins do.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const EMAILS = ['ada@example.org', 'bo@example.org', 'cy@example.org', null] as const;
/** Instants that put several payments in one slot, on slot edges, on both sides of the window's
 * edges and of midnight in New York. */
const INSTANTS = [
  T0 - 20 * 60_000,
  T0,
  T0 + 14 * 60_000 + 59_999,
  T0 + 15 * 60_000,
  T0 + 3 * DAY + 4 * 3_600_000 + 50 * 60_000, // 23:50 in New York the day before
  T0 + 3 * DAY + 5 * 3_600_000 + 10 * 60_000,
  T0 + 20 * DAY + 123_456,
  Date.parse('2026-12-31T23:59:58Z'),
  Date.parse('2027-01-02T10:00:00Z'),
];
const WINDOWS = [
  { startsAt: new Date(T0), endsAt: new Date('2026-12-31T23:59:59Z') },
  { startsAt: new Date(T0 + 15 * 60_000), endsAt: new Date(T0 + 10 * DAY) },
  { startsAt: new Date(T0 - DAY), endsAt: new Date('2027-01-05T00:00:00Z') },
];

type Op =
  | { op: 'pay'; campaign: number; kind: 'one_time' | 'renewal'; at: number; shift: number; amount: number; email: number; eur: boolean }
  | { op: 'refund'; pay: number; amount: number; status: 'succeeded' | 'pending' | 'failed' }
  | { op: 'dispute'; pay: number; pct: number; status: 'needs_response' | 'lost' | 'won' }
  | { op: 'offline'; campaign: number; at: number; amount: number; email: number }
  | { op: 'editOffline'; gift: number; amount: number | null; at: number | null; email: number | null }
  | { op: 'voidOffline'; gift: number; voided: boolean }
  | { op: 'window'; campaign: number; window: number }
  | { op: 'erase'; email: number }
  | { op: 'rollback'; campaign: number; at: number; amount: number };

const instant = fc.integer({ min: 0, max: INSTANTS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('pay' as const),
      campaign: fc.integer({ min: 0, max: 1 }),
      kind: fc.constantFrom('one_time' as const, 'renewal' as const),
      at: instant,
      shift: fc.integer({ min: 0, max: 40 * 60_000 }),
      amount: fc.integer({ min: 100, max: 20_000 }),
      email: fc.integer({ min: 0, max: EMAILS.length - 1 }),
      // Now and then a payment in another currency than the campaign's: in the chart's gross, not in raised.
      eur: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      pay: fc.nat(),
      amount: fc.integer({ min: 1, max: 25_000 }),
      status: fc.constantFrom('succeeded' as const, 'pending' as const, 'failed' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('dispute' as const),
      pay: fc.nat(),
      pct: fc.constantFrom(50, 100),
      status: fc.constantFrom('needs_response' as const, 'lost' as const, 'won' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('offline' as const),
      campaign: fc.integer({ min: 0, max: 1 }),
      at: instant,
      amount: fc.integer({ min: 100, max: 20_000 }),
      email: fc.integer({ min: 0, max: EMAILS.length - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('editOffline' as const),
      gift: fc.nat(),
      amount: fc.option(fc.integer({ min: 100, max: 20_000 }), { nil: null }),
      at: fc.option(instant, { nil: null }),
      email: fc.option(fc.integer({ min: 0, max: EMAILS.length - 1 }), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('voidOffline' as const), gift: fc.nat(), voided: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('window' as const),
      campaign: fc.integer({ min: 0, max: 1 }),
      window: fc.integer({ min: 0, max: WINDOWS.length - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('erase' as const), email: fc.integer({ min: 0, max: EMAILS.length - 2 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('rollback' as const),
      campaign: fc.integer({ min: 0, max: 1 }),
      at: instant,
      amount: fc.integer({ min: 100, max: 20_000 }),
    }),
  },
);

/** Payments summed per campaign and slot straight from payments: what the rollup must hold. */
async function direct(db: Kysely<Database>, campaignIds: number[]) {
  const { rows } = await sql<{ campaign_id: number; slot: Date; raised: number; gross: number; donations: number; payments: number }>`
    select campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z') as slot,
      sum(applied_raised)::int8 as raised, sum(amount)::int8 as gross, sum(applied_donation)::int8 as donations, count(*)::int8 as payments
    from payments where in_window and not voided and campaign_id = any(${campaignIds}::int[])
    group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

async function rollup(db: Kysely<Database>, campaignIds: number[]) {
  return db
    .selectFrom('campaign_slots')
    .where('campaign_id', 'in', campaignIds)
    .select(['campaign_id', 'slot', 'raised', 'gross', 'donations', 'payments'])
    .orderBy('campaign_id')
    .orderBy('slot')
    .execute();
}

class Rollback extends Error {}

describe.each(testDatabaseKinds())('campaign slots on %s', (kind) => {
  let h: TestDatabase;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
  });
  afterAll(async () => h?.drop());

  it('equal the payments summed per slot after any concurrent mix of ledger writes', { timeout: 20 * 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 5 }), async (ops, burst) => {
        const db = h.db;
        const campaigns = [await makeCampaign(db), await makeCampaign(db)];
        const ids = campaigns.map((c) => c.id);
        const tag = randomUUID().slice(0, 8);
        // Every payment's ids are known up front: a refund or dispute may arrive before its payment.
        const pays = ops.flatMap((o, i) => (o.op === 'pay' ? [{ ...o, pi: `pi_${tag}_${i}` }] : []));
        const payGifts = new Map<string, string>();
        for (const p of pays) {
          const g = await makeGift(db, campaigns[p.campaign]!, { amount: p.amount, email: EMAILS[p.email] ?? null });
          payGifts.set(p.pi, g.id);
        }
        const offline: string[] = [];
        const run = async (o: Op, i: number) => {
          switch (o.op) {
            case 'pay': {
              const pi = `pi_${tag}_${i}`;
              const c = campaigns[o.campaign]!;
              const paidAt = new Date(INSTANTS[o.at]! + o.shift);
              await withLedger(db, {}, async (l) => {
                await l.lock([pi]);
                await l.recordPayment({
                  gift: { id: payGifts.get(pi)!, campaign_id: c.id, email: EMAILS[o.email] ?? null },
                  sourceKey: pi,
                  kind: o.kind,
                  paymentIntentId: pi,
                  amount: o.amount,
                  currency: o.eur ? 'EUR' : 'USD',
                  paidAt,
                  // A one-time gift counts from when Checkout started (a little before it was paid).
                  countedAt: o.kind === 'renewal' ? paidAt : new Date(paidAt.getTime() - 30 * 60_000),
                });
              });
              return;
            }
            case 'refund': {
              if (!pays.length) return;
              const pi = pays[o.pay % pays.length]!.pi;
              await withLedger(db, {}, async (l) => {
                await l.lock([pi]);
                await l.recordRefund({
                  refundId: `re_${tag}_${i}`,
                  chargeId: `ch_${pi}`,
                  paymentIntentId: pi,
                  amount: o.amount,
                  status: o.status,
                  created: 1_800_000_000 + i,
                  asOf: 1_800_000_000 + i,
                  failedAt: o.status === 'failed' ? 1_800_000_000 + i : null,
                });
              });
              return;
            }
            case 'dispute': {
              if (!pays.length) return;
              const p = pays[o.pay % pays.length]!;
              await withLedger(db, {}, async (l) => {
                await l.lock([p.pi]);
                await l.recordDispute({
                  disputeId: `dp_${p.pi}`,
                  paymentIntentId: p.pi,
                  chargeId: `ch_${p.pi}`,
                  amount: Math.floor((p.amount * o.pct) / 100),
                  status: o.status,
                  asOf: 1_800_000_000 + i,
                });
              });
              return;
            }
            case 'offline': {
              const c = campaigns[o.campaign]!;
              const giftId = randomUUID();
              await withLedger(db, {}, (l) =>
                l.recordOfflineGift({
                  giftId,
                  campaignId: c.id,
                  currency: c.currency,
                  amount: o.amount,
                  receivedAt: new Date(INSTANTS[o.at]!),
                  email: EMAILS[o.email] ?? null,
                }),
              );
              offline.push(giftId);
              return;
            }
            case 'editOffline':
            case 'voidOffline': {
              if (!offline.length) return;
              const giftId = offline[o.gift % offline.length]!;
              await withLedger(db, {}, (l) =>
                l.updateOfflineGift(
                  giftId,
                  o.op === 'voidOffline'
                    ? { voided: o.voided }
                    : {
                        ...(o.amount !== null && { amount: o.amount }),
                        ...(o.at !== null && { receivedAt: new Date(INSTANTS[o.at]! + 7 * 60_000) }),
                        ...(o.email !== null && { email: EMAILS[o.email] ?? null }),
                      },
                ),
              );
              return;
            }
            case 'window': {
              // What an admin's edit of the dates does (server/campaigns/service.ts).
              const c = campaigns[o.campaign]!;
              const w = WINDOWS[o.window]!;
              await withLedger(db, {}, async (l) => {
                await l.trx.updateTable('campaigns').set({ starts_at: w.startsAt, ends_at: w.endsAt }).where('id', '=', c.id).execute();
                await l.recomputeCampaignWindow(c.id);
              });
              return;
            }
            case 'erase': {
              await withLedger(db, {}, (l) => l.eraseDonor(EMAILS[o.email]!, `erased-${tag}-${i}@example.invalid`));
              return;
            }
            case 'rollback': {
              // Money written, then the transaction fails: the rollup keeps none of it.
              const c = campaigns[o.campaign]!;
              await expect(
                withLedger(db, {}, async (l) => {
                  await l.recordOfflineGift({
                    giftId: randomUUID(),
                    campaignId: c.id,
                    currency: c.currency,
                    amount: o.amount,
                    receivedAt: new Date(INSTANTS[o.at]!),
                  });
                  throw new Rollback('admin cancelled');
                }),
              ).rejects.toThrow(Rollback);
              return;
            }
          }
        };
        // Offline gifts first, so that edits and voids have something to change; the rest in
        // concurrent bursts, as webhooks and admins arrive.
        const firstOffline = ops.findIndex((o) => o.op === 'offline');
        if (firstOffline >= 0) await run(ops[firstOffline]!, firstOffline);
        for (let i = 0; i < ops.length; i += burst) {
          await Promise.all(
            ops
              .slice(i, i + burst)
              .map((o, k) => [o, i + k] as const)
              .filter(([, j]) => j !== firstOffline)
              .map(([o, j]) => run(o, j)),
          );
        }

        const want = await direct(db, ids);
        expect(await rollup(db, ids)).toEqual(want);
        // The chart sums to the headline `raised` (the ledger's maintained totals).
        const totals = await db.selectFrom('campaign_totals').where('campaign_id', 'in', ids).select(['campaign_id', 'raised']).execute();
        for (const t of totals) {
          expect(want.filter((r) => r.campaign_id === t.campaign_id).reduce((s, r) => s + r.raised, 0)).toBe(t.raised);
        }
        // Nothing is left waiting to be folded once the transactions are over.
        expect(await sql<{ n: number }>`select count(*)::int8 as n from campaign_slot_changes`.execute(db).then((r) => r.rows[0]!.n)).toBe(
          0,
        );
      }),
      { numRuns: runs(kind === 'postgres' ? 40 : 20) },
    );
  });

  it('names each slot by its day in the zone, as the payments themselves would be', async () => {
    const db = h.db;
    const c = await makeCampaign(db);
    // 23:50 on November 3 in New York is November 4 in UTC; 00:05 on December 1 in Auckland is
    // November 30 in UTC (and 11:05 in UTC).
    const times = ['2026-11-04T04:50:00Z', '2026-11-04T05:10:00Z', '2026-11-30T11:05:00Z', '2026-11-30T10:59:59Z'];
    for (const [i, t] of times.entries()) {
      await withLedger(db, {}, (l) =>
        l.recordOfflineGift({ giftId: randomUUID(), campaignId: c.id, currency: 'USD', amount: 1000 * (i + 1), receivedAt: new Date(t) }),
      );
    }
    const byPayment = async (zone: string) =>
      (
        await sql<{
          day: string;
          amount: number;
        }>`select to_char(paid_at at time zone ${zone}, 'YYYY-MM-DD') as day, sum(applied_raised)::int8 as amount
          from payments where campaign_id = ${c.id} and in_window and not voided group by 1 order by 1`.execute(db)
      ).rows;
    for (const zone of ['UTC', 'America/New_York', 'Pacific/Auckland', 'Asia/Kathmandu']) {
      expect(await raisedPerDay(db, c.id, zone)).toEqual(await byPayment(zone));
    }
    expect(await raisedPerDay(db, c.id, 'America/New_York')).toEqual([
      { day: '2026-11-03', amount: 1000 },
      { day: '2026-11-04', amount: 2000 },
      { day: '2026-11-30', amount: 7000 },
    ]);
    const campaign = (await findBySlug(db, c.slug))!;
    const dash = await campaignDashboard(db, campaign, new Date('2026-12-01T12:00:00Z'), 'Pacific/Auckland');
    expect(dash.daily.filter((d) => d.amount > 0)).toEqual([
      { date: '2026-11-04', amount: 3000, gross: 3000, donations: 2 },
      { date: '2026-11-30', amount: 4000, gross: 4000, donations: 1 },
      { date: '2026-12-01', amount: 3000, gross: 3000, donations: 1 },
    ]);
  });

  it('are built from the payments already recorded when the migration runs', async () => {
    const db = await createTestDatabase(kind);
    try {
      await migrateTo(db.db, '0021_pace_frequency');
      const c = await makeCampaign(db.db);
      const gifts: string[] = [];
      for (const [i, t] of INSTANTS.entries()) {
        const giftId = randomUUID();
        gifts.push(giftId);
        await withLedger(db.db, {}, (l) =>
          l.recordOfflineGift({
            giftId,
            campaignId: c.id,
            currency: 'USD',
            amount: 500 + i,
            receivedAt: new Date(t),
            email: EMAILS[i % 4] ?? null,
          }),
        );
      }
      await withLedger(db.db, {}, (l) => l.updateOfflineGift(gifts[1]!, { voided: true }));
      await migrateToLatest(db.db);
      const want = await direct(db.db, [c.id]);
      expect(want.length).toBeGreaterThan(3);
      expect(await rollup(db.db, [c.id])).toEqual(want);
      // and kept from then on
      await withLedger(db.db, {}, (l) => l.updateOfflineGift(gifts[2]!, { voided: true }));
      expect(await rollup(db.db, [c.id])).toEqual(await direct(db.db, [c.id]));
    } finally {
      await db.drop();
    }
  });
});
