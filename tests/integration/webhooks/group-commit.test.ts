import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/ledger/ledger.js';
import { GroupCommitter, type Job, committerOf } from '../../../server/webhooks/group-commit.js';
import type { HandledEvent } from '../../../server/webhooks/handlers.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { checkoutSession, event, sid } from '../../helpers/events.js';
import { makeCampaign, makeGift } from '../../helpers/factories.js';

/**
 * Group commit (issue 12): events arriving together share one ledger transaction. Each must be
 * answered only after that transaction committed, one bad event must not fail the others, and a
 * transaction that dies before its commit must acknowledge none of its events.
 */

const T = Date.parse('2026-12-05T10:00:00Z') / 1000;

type Paid = { raised: number; donations: number; donors: number };

describe.each(testDatabaseKinds())('webhook group commit on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:05:00Z') });
  });
  afterAll(async () => ctx?.close());

  const totals = async (campaignId: number): Promise<Paid> =>
    ctx.db
      .selectFrom('campaign_totals')
      .where('campaign_id', '=', campaignId)
      .select(['raised', 'donations', 'donors'])
      .executeTakeFirstOrThrow();

  async function paidEvents(slug: string, campaign: { id: number; currency: string }, n: number) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const amount = 1000 + 100 * i;
      const g = await makeGift(ctx.db, campaign, { amount, email: `donor-${i}@example.org` });
      out.push({
        amount,
        e: event('checkout.session.completed', checkoutSession({ id: g.id, amount, campaignSlug: slug }, { paymentIntent: sid('pi') }), T),
      });
    }
    return out;
  }

  /** A checkout completion whose amount is not a number: the database refuses it (22P02). */
  async function badEvent(slug: string, campaign: { id: number; currency: string }) {
    const g = await makeGift(ctx.db, campaign, { amount: 700 });
    const s = { ...checkoutSession({ id: g.id, amount: 700, campaignSlug: slug }, { paymentIntent: sid('pi') }), amount_total: 'seven' };
    return event('checkout.session.completed', s, T);
  }

  const job = (e: ReturnType<typeof event>): Job => {
    const payload = JSON.stringify(e);
    const stored: StoredEvent = { id: e.id, type: e.type, created: e.created, livemode: false, apiVersion: e.api_version, payload };
    return { event: stored, prepared: JSON.parse(payload) as HandledEvent, reread: false };
  };

  it('applies events queued together in one transaction; a bad one is rolled out and fails alone', async () => {
    const c = await makeCampaign(ctx.db, { slug: `group-${kind}` });
    const good = await paidEvents(c.slug, c, 6);
    const bad = await badEvent(c.slug, c);
    // One lane: the first event runs alone, everything submitted meanwhile waits and forms one group.
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log: { info() {}, warn() {} } }, { lanes: 1, maxGroup: 32 });
    const first = committer.submit(job(good[0]!.e));
    const rest = [good[1]!, good[2]!, good[3]!].map((g) => committer.submit(job(g.e)));
    const badResult = committer.submit(job(bad));
    const after = [good[4]!, good[5]!].map((g) => committer.submit(job(g.e)));

    const results = await Promise.all([first, ...rest, ...after]);
    for (const r of results) expect(r).toMatchObject({ outcome: 'processed' });
    expect(await badResult).toMatchObject({ error: expect.objectContaining({ code: '22P02' }) });
    expect(committer.stats).toMatchObject({ isolations: 1 });
    expect(committer.stats.largest).toBeGreaterThanOrEqual(5);

    const expected = good.reduce((s, g) => s + g.amount, 0);
    expect(await totals(c.id)).toEqual({ raised: expected, donations: 6, donors: 6 });
    const rows = await ctx.db
      .selectFrom('stripe_events')
      .where(
        'id',
        'in',
        good.map((g) => g.e.id),
      )
      .select('outcome')
      .execute();
    expect(rows.map((r) => r.outcome)).toEqual(Array(6).fill('processed'));
    // The bad event left nothing behind in the ledger (its route records it as failed).
    expect(await ctx.db.selectFrom('stripe_events').where('id', '=', bad.id).select('id').executeTakeFirst()).toBeUndefined();
  });

  it('reads a group’s gifts ahead only where no event can change what another finds', async () => {
    const c = await makeCampaign(ctx.db, { slug: `ahead-${kind}` });
    const [filler, b] = await paidEvents(c.slug, c, 2);
    // A monthly gift whose subscription is known (its subscription event came first); its
    // checkout completion names no gift and finds it by that subscription.
    const gA = await makeGift(ctx.db, c, { amount: 900, frequency: 'monthly', email: 'a@example.org' });
    const subA = sid('sub');
    await ctx.db.updateTable('gifts').set({ subscription_id: subA }).where('id', '=', gA.id).execute();
    const sA = checkoutSession(
      { id: gA.id, amount: 900, campaignSlug: c.slug },
      { mode: 'subscription', subscription: subA, invoice: sid('in') },
    );
    const a = event('checkout.session.completed', { ...sA, client_reference_id: null, metadata: {} }, T);
    // B's ids are all new and its metadata names A's gift: once A's checkout has tied that gift
    // to its session, B must not take it (read ahead with A, B would see the gift before A).
    const objB = b!.e.data.object as Record<string, unknown>;
    objB.client_reference_id = gA.id;
    objB.metadata = { gift_id: gA.id };
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log: { info() {}, warn() {} } }, { lanes: 1, maxGroup: 32 });
    const first = committer.submit(job(filler!.e));
    const [ra, rb] = [committer.submit(job(a)), committer.submit(job(b!.e))];
    expect(await first).toMatchObject({ outcome: 'processed' });
    expect(await ra).toMatchObject({ outcome: 'processed' });
    expect(await rb).toMatchObject({ outcome: 'ignored', conflict: expect.stringMatching(/tie to other objects/) });
    expect(committer.stats.largest).toBe(2);
    expect(await totals(c.id)).toEqual({ raised: filler!.amount + 900, donations: 2, donors: 2 });
    const g = await ctx.db.selectFrom('gifts').where('id', '=', gA.id).select(['checkout_session_id', 'status']).executeTakeFirstOrThrow();
    expect(g).toEqual({ checkout_session_id: sA.id, status: 'paid' });
  });

  // Several lanes need several connections: PostgreSQL only (PGlite runs one lane).
  it.runIf(kind === 'postgres')('opens a second lane only once enough events wait: fewer, fuller groups under a storm', async () => {
    const c = await makeCampaign(ctx.db, { slug: `fill-${kind}` });
    const good = await paidEvents(c.slug, c, 8);
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log: { info() {}, warn() {} } }, { lanes: 4, maxGroup: 32, fill: 4 });
    // A lone event starts at once; two more arriving while it runs wait for it (not two new lanes).
    const first = committer.submit(job(good[0]!.e));
    const waiting = [good[1]!, good[2]!].map((g) => committer.submit(job(g.e)));
    await Promise.all([first, ...waiting]);
    expect(committer.stats).toMatchObject({ groups: 2, events: 3, largest: 2 });
    // Four arriving while one runs fill a second lane at once.
    const lone = committer.submit(job(good[3]!.e));
    const four = good.slice(4).map((g) => committer.submit(job(g.e)));
    expect(committer.inFlight).toEqual({ groups: 2, events: 5 });
    for (const r of await Promise.all([lone, ...four])) expect(r).toMatchObject({ outcome: 'processed' });
    expect(committer.stats).toMatchObject({ groups: 4, events: 8, largest: 4 });
    expect(await totals(c.id)).toEqual({ raised: good.reduce((s, g) => s + g.amount, 0), donations: 8, donors: 8 });
  });

  it('answers concurrent deliveries only with what committed: good ones counted once, the bad one failed and retriable', async () => {
    const c = await makeCampaign(ctx.db, { slug: `burst-${kind}` });
    const good = await paidEvents(c.slug, c, 8);
    const bad = await badEvent(c.slug, c);
    const before = committerOf(ctx.db)?.stats.isolations ?? 0;
    const deliveries = [...good.slice(0, 4).map((g) => g.e), bad, ...good.slice(4).map((g) => g.e), good[0]!.e, good[5]!.e];
    const answers = await Promise.all(deliveries.map(async (e) => ({ e, res: await ctx.deliver(e) })));
    for (const { e, res } of answers) {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { outcome: string };
      expect(body.outcome).toEqual(e === bad ? 'failed' : e === good[0]!.e || e === good[5]!.e ? expect.any(String) : 'processed');
    }
    const expected = good.reduce((s, g) => s + g.amount, 0);
    expect(await totals(c.id)).toEqual({ raised: expected, donations: 8, donors: 8 });
    const stored = await ctx.db
      .selectFrom('stripe_events')
      .where('id', '=', bad.id)
      .select(['outcome', 'detail'])
      .executeTakeFirstOrThrow();
    expect(stored.outcome).toBe('failed');
    expect(stored.detail).toMatch(/22P02/);
    expect(committerOf(ctx.db)!.stats.isolations).toBeGreaterThanOrEqual(before);
  });
});

/**
 * A crash between the work and the commit: the database connection of a group dies while its
 * transaction waits on the campaign's totals row (the last statement before COMMIT). None of its
 * events may be answered 2xx, nothing may be recorded as applied, and Stripe's retries count each
 * exactly once.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('webhook group commit: connection lost before commit, on postgres', () => {
  let ctx: TestContext;
  // `locker` holds the totals row in a transaction; `admin` watches from outside it
  // (pg_stat_activity is a snapshot fixed for the length of a transaction).
  let admin: pg.Client;
  let locker: pg.Client;
  let lockerPid: number;
  let dbName: string;
  beforeAll(async () => {
    ctx = await createTestContext('postgres', { clock: fakeClock('2026-12-05T10:05:00Z') });
    dbName = new URL(ctx.database.url!).pathname.slice(1);
    admin = new pg.Client({ connectionString: ctx.database.url });
    locker = new pg.Client({ connectionString: ctx.database.url });
    await admin.connect();
    await locker.connect();
    lockerPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  });
  afterAll(async () => {
    await admin?.end();
    await locker?.end();
    await ctx?.close();
  });

  it('acknowledges none of the events of a transaction that never committed, then counts their retries once', async () => {
    const c = await makeCampaign(ctx.db, { slug: 'crash' });
    const events = [];
    let expected = 0;
    for (let i = 0; i < 6; i++) {
      const amount = 2000 + i;
      expected += amount;
      const g = await makeGift(ctx.db, c, { amount, email: `crash-${i}@example.org` });
      events.push(
        event('checkout.session.completed', checkoutSession({ id: g.id, amount, campaignSlug: c.slug }, { paymentIntent: sid('pi') }), T),
      );
    }
    // Hold the totals row: every group does its work, then waits here before it can commit.
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM campaign_totals WHERE campaign_id = $1 FOR UPDATE', [c.id]);
    const committedBefore = committerOf(ctx.db)?.stats.groups ?? 0;
    let settled = 0;
    const pending = events.map((e) =>
      ctx.deliver(e).then((res) => {
        settled++;
        return res;
      }),
    );
    const waiting = async () =>
      (
        await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid NOT IN (pg_backend_pid(), $2) AND wait_event_type = 'Lock' AND state = 'active'`,
          [dbName, lockerPid],
        )
      ).rows as { pid: number }[];
    // Each time every running group sits blocked on the totals row (its work done, its COMMIT
    // not yet sent), its connection dies: the crash. Groups queued behind them meet the same fate.
    const deadline = Date.now() + 20_000;
    let crashed = 0;
    while (settled < events.length) {
      const blocked = await waiting();
      const inFlight = committerOf(ctx.db)?.inFlight;
      if (inFlight && inFlight.groups > 0 && blocked.length === inFlight.groups) {
        for (const { pid } of blocked) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        crashed += blocked.length;
      }
      if (Date.now() > deadline) {
        const all = await admin.query(
          'SELECT pid, state, wait_event_type, wait_event, left(query, 80) AS q FROM pg_stat_activity WHERE datname = $1',
          [dbName],
        );
        throw new Error(`events never all reached the totals row (${JSON.stringify({ blocked, inFlight, all: all.rows })})`);
      }
      await new Promise((r) => setImmediate(r));
    }
    await locker.query('ROLLBACK');
    expect(crashed).toBeGreaterThan(0);
    const answers = await Promise.all(pending);
    for (const res of answers) expect(res.status).toBe(503);
    expect(committerOf(ctx.db)!.stats.groups).toBe(committedBefore);
    expect(await ctx.db.selectFrom('payments').where('campaign_id', '=', c.id).select('id').execute()).toEqual([]);
    const rows = await ctx.db
      .selectFrom('stripe_events')
      .where(
        'id',
        'in',
        events.map((e) => e.id),
      )
      .select('outcome')
      .execute();
    for (const r of rows) expect(r.outcome).toBe('failed');

    // Stripe retries (twice, concurrently): each event counts exactly once.
    const retries = await Promise.all([...events, ...events].map((e) => ctx.deliver(e)));
    for (const res of retries) expect(res.status).toBe(200);
    const t = await ctx.db
      .selectFrom('campaign_totals')
      .where('campaign_id', '=', c.id)
      .select(['raised', 'donations'])
      .executeTakeFirstOrThrow();
    expect(t).toEqual({ raised: expected, donations: 6 });
  });
});
