import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/ledger/ledger.js';
import { GroupCommitter, type Job, committerOf } from '../../../server/webhooks/group-commit.js';
import type { HandledEvent } from '../../../server/webhooks/handlers.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { charge, checkoutSession, event, sid } from '../../helpers/events.js';
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
    // The group ran side by side, failed in its one payments statement, ran again one event after
    // the other (which named the bad one), and then without it.
    expect(committer.stats).toMatchObject({ isolations: 1, sequential: 1 });
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

  /**
   * A group mixing what checkout events can be: paid in and out of the window, in another
   * currency, with the payer's e-mail only, after a refund of its charge was already known,
   * a second event for a payment already recorded, an expired and an unpaid session, a type we
   * do not use and a redelivery. Applied side by side (one payments statement), it must leave
   * exactly what applying the same events one at a time leaves.
   */
  async function mixedScenario(tag: string) {
    const c = await makeCampaign(ctx.db, { slug: `mixed-${tag}-${kind}` });
    const mail = (i: number) => `donor-${tag}-${i}@example.org`;
    const gift = async (i: number, email: string | null = mail(i)) => ({
      ...(await makeGift(ctx.db, c, { amount: 1000 + 100 * i, email })),
      email,
      campaignSlug: c.slug,
    });
    const paid = (g: { id: string; amount: number; campaignSlug: string; email: string | null }, over: object = {}, o = {}) =>
      event('checkout.session.completed', { ...checkoutSession(g, { paymentIntent: sid('pi'), ...o }), ...over }, T);
    const g = await Promise.all(Array.from({ length: 10 }, (_, i) => gift(i, i === 2 ? null : mail(i))));
    // A gift of another campaign in the same group.
    const other = await makeCampaign(ctx.db, { slug: `other-${tag}-${kind}` });
    const gOther = { ...(await makeGift(ctx.db, other, { amount: 4321, email: mail(10) })), email: mail(10), campaignSlug: other.slug };
    const pi7 = sid('pi');
    const early = paid(g[8]!);
    const again = paid(g[9]!);
    const before = [
      event('charge.refunded', charge({ id: sid('ch'), paymentIntent: pi7, amount: g[7]!.amount, amountRefunded: 300 }), T - 60),
      early,
      again,
    ];
    const group = [
      paid(g[0]!),
      paid(g[1]!),
      paid(g[2]!, {}, { email: `Payer-${tag}@Example.org` }),
      paid(g[3]!, { created: Date.parse('2026-10-01T00:00:00Z') / 1000 }),
      paid({ ...g[4]!, currency: 'EUR' } as (typeof g)[4] & { currency: string }),
      event('checkout.session.expired', checkoutSession(g[5]!, { paymentStatus: 'unpaid' }), T),
      event('checkout.session.completed', checkoutSession(g[6]!, { paymentStatus: 'unpaid', paymentIntent: sid('pi') }), T),
      event('checkout.session.completed', checkoutSession(g[7]!, { paymentIntent: pi7 }), T),
      event('checkout.session.async_payment_succeeded', early.data.object, T + 5),
      event('customer.created', { id: sid('cus'), object: 'customer' }, T),
      paid(gOther),
      again,
    ];
    return { c, other, before, group, tag };
  }

  /** What a campaign's events left, without ids that differ between two runs. */
  async function snapshot(campaignId: number, tag: string, groupIds: string[]) {
    const strip = (x: string | null) => x?.replaceAll(tag, '*').replace(/^payment:.*/, 'payment:*') ?? null;
    const t = await ctx.db
      .selectFrom('campaign_totals')
      .where('campaign_id', '=', campaignId)
      .select(['raised', 'donations', 'donors', 'refunded', 'disputed'])
      .executeTakeFirstOrThrow();
    const payments = await ctx.db
      .selectFrom('payments as p')
      .leftJoin('receipt_statements as r', 'r.payment_id', 'p.id')
      .where('p.campaign_id', '=', campaignId)
      .select([
        'p.amount',
        'p.currency',
        'p.kind',
        'p.in_window',
        'p.donor_key',
        'p.applied_raised',
        'p.applied_donation',
        'p.applied_refunded',
        'p.applied_disputed',
        'r.to_address',
        'r.refunded',
        'r.notices',
      ])
      .orderBy('p.amount')
      .execute();
    const gifts = await ctx.db
      .selectFrom('gifts')
      .where('campaign_id', '=', campaignId)
      .select(['amount', 'status', 'email', 'checkout_session_id', 'payment_intent_id'])
      .orderBy('amount')
      .execute();
    const mails = await ctx.db
      .selectFrom('mail_outbox')
      .where('to_address', 'like', `%${tag}%`)
      .select(['kind', 'to_address', 'data'])
      .execute();
    const events = await ctx.db.selectFrom('stripe_events').where('id', 'in', groupIds).select(['id', 'outcome', 'detail']).execute();
    const byId = new Map(events.map((e) => [e.id, e]));
    return {
      totals: t,
      payments: payments.map((p) => ({ ...p, donor_key: strip(p.donor_key), to_address: strip(p.to_address) })),
      gifts: gifts.map((g) => ({
        amount: g.amount,
        status: g.status,
        email: strip(g.email),
        session: g.checkout_session_id !== null,
        pi: g.payment_intent_id !== null,
      })),
      mails: mails
        .map((m) => ({ kind: m.kind, to: strip(m.to_address), amount: (m.data as { amount?: unknown }).amount ?? null }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      events: groupIds.map((id) => ({ outcome: byId.get(id)?.outcome ?? null, detail: byId.get(id)?.detail ?? null })),
    };
  }

  const jobOf = (e: ReturnType<typeof event>): Job => (e.type === 'customer.created' ? { ...job(e), prepared: null } : job(e));

  it('applies a mixed group side by side, its payments in one statement, exactly as one event at a time', async () => {
    const log = { info() {}, warn() {} };
    // One event at a time: every group holds one event, applied as before batching.
    const alone = await mixedScenario('alone');
    const single = new GroupCommitter(ctx.db, { bus: ctx.bus, log }, { lanes: 1, maxGroup: 1 });
    for (const e of alone.before) expect(await single.submit(jobOf(e))).toMatchObject({ outcome: 'processed' });
    const aloneResults = [];
    for (const e of alone.group) aloneResults.push(await single.submit(jobOf(e)));
    expect(single.stats).toMatchObject({ largest: 1, together: 0 });

    // Side by side: the events wait for the group before them and form one group.
    const mixed = await mixedScenario('mixed');
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log }, { lanes: 1, maxGroup: 32 });
    for (const e of mixed.before) expect(await committer.submit(jobOf(e))).toMatchObject({ outcome: 'processed' });
    const [first, ...rest] = mixed.group;
    const results = await Promise.all([committer.submit(jobOf(first!)), ...rest.map((e) => committer.submit(jobOf(e)))]);
    expect(committer.stats).toMatchObject({ together: 1, sequential: 0, isolations: 0 });
    expect(committer.stats.largest).toBeGreaterThanOrEqual(rest.length);

    expect(results).toEqual(aloneResults);
    expect(results.at(-1)).toMatchObject({ duplicate: true });
    const want = await snapshot(
      alone.c.id,
      alone.tag,
      alone.group.map((e) => e.id),
    );
    const got = await snapshot(
      mixed.c.id,
      mixed.tag,
      mixed.group.map((e) => e.id),
    );
    expect(got).toEqual(want);
    const otherTotals = (id: number) =>
      ctx.db
        .selectFrom('campaign_totals')
        .where('campaign_id', '=', id)
        .select(['raised', 'donations', 'donors'])
        .executeTakeFirstOrThrow();
    expect(await otherTotals(mixed.other.id)).toEqual({ raised: 4321, donations: 1, donors: 1 });
    expect(await otherTotals(alone.other.id)).toEqual({ raised: 4321, donations: 1, donors: 1 });
    // And what that is: g0, g1, g2 (payer's e-mail), g7 (less its refund), g8 (recorded before, once) count.
    const amount = (i: number) => 1000 + 100 * i;
    expect(got.totals).toEqual({
      raised: amount(0) + amount(1) + amount(2) + amount(7) - 300 + amount(8) + amount(9),
      donations: 6,
      donors: 6,
      refunded: 300,
      disputed: 0,
    });
    expect(got.gifts.map((g) => g.status)).toEqual(['paid', 'paid', 'paid', 'paid', 'paid', 'expired', 'pending', 'paid', 'paid', 'paid']);
    expect(got.payments.map((p) => [p.in_window, p.currency, p.applied_raised])).toEqual([
      [true, 'USD', amount(0)],
      [true, 'USD', amount(1)],
      [true, 'USD', amount(2)],
      [false, 'USD', 0],
      [true, 'EUR', 0],
      [true, 'USD', amount(7) - 300],
      [true, 'USD', amount(8)],
      [true, 'USD', amount(9)],
    ]);
    expect(got.payments[2]).toMatchObject({ donor_key: 'email:payer-*@example.org', to_address: 'payer-*@example.org' });
    expect(got.mails.filter((m) => m.kind === 'receipt.correction')).toHaveLength(1);
  });

  it('fails alone an event that throws side by side while the others wait to write their payments', async () => {
    const c = await makeCampaign(ctx.db, { slug: `throws-${kind}` });
    const good = await paidEvents(c.slug, c, 5);
    const g = await makeGift(ctx.db, c, { amount: 800 });
    // A session "created" at no representable time: the handler throws before its payment is
    // queued, while the others already wait for theirs.
    const bad = event(
      'checkout.session.completed',
      { ...checkoutSession({ id: g.id, amount: 800, campaignSlug: c.slug }, { paymentIntent: sid('pi') }), created: 1e15 },
      T,
    );
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log: { info() {}, warn() {} } }, { lanes: 1, maxGroup: 32 });
    const first = committer.submit(job(good[0]!.e));
    const rest = [good[1]!, good[2]!].map((x) => committer.submit(job(x.e)));
    const badResult = committer.submit(job(bad));
    const after = [good[3]!, good[4]!].map((x) => committer.submit(job(x.e)));
    for (const r of await Promise.all([first, ...rest, ...after])) expect(r).toMatchObject({ outcome: 'processed' });
    expect(await badResult).toMatchObject({ error: expect.any(RangeError) });
    expect(committer.stats).toMatchObject({ isolations: 1, sequential: 1 });
    expect(await totals(c.id)).toEqual({ raised: good.reduce((s, x) => s + x.amount, 0), donations: 5, donors: 5 });
    expect(await ctx.db.selectFrom('payments').where('gift_id', '=', g.id).select('id').execute()).toEqual([]);
  });

  it('applies two events about one payment in one group once (their lookups are not read ahead)', async () => {
    const c = await makeCampaign(ctx.db, { slug: `same-${kind}` });
    const [filler, a] = await paidEvents(c.slug, c, 2);
    const twin = event('checkout.session.async_payment_succeeded', a!.e.data.object, T + 1);
    const committer = new GroupCommitter(ctx.db, { bus: ctx.bus, log: { info() {}, warn() {} } }, { lanes: 1, maxGroup: 32 });
    const first = committer.submit(job(filler!.e));
    const pair = [committer.submit(job(a!.e)), committer.submit(job(twin))];
    for (const r of await Promise.all([first, ...pair])) expect(r).toMatchObject({ outcome: 'processed' });
    expect(committer.stats).toMatchObject({ largest: 2, together: 0 });
    expect(await totals(c.id)).toEqual({ raised: filler!.amount + a!.amount, donations: 2, donors: 2 });
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
