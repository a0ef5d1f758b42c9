import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { type ReplayFile, type ReplayResult, median, replay, signedRequests, which } from './load.js';
import type { Section } from './run.js';
import { type AppContext, insertPendingGifts, startApp, startBare } from './servers.js';
import type { GroupStats } from '../server/webhooks/group-commit.js';

/**
 * SPEC §8 / issue 12: webhook ingestion of the real server on real PostgreSQL against pgbench on
 * the same server in the same run.
 *
 * App side: WARMUP + EVENTS distinct `checkout.session.completed` events (one per pending gift,
 * all for one campaign: a year-end rush), pretty-printed and signed as Stripe sends them, POSTed
 * to /webhooks/stripe with HTTP_CONCURRENCY in flight by a child process. The app applies them in
 * group-committed ledger transactions (server/webhooks/group-commit.ts) on its pool of 10.
 *
 * Baselines, pgbench with CLIENTS clients, `-M extended` (node-postgres sends every parameterised
 * query with the extended protocol, as pgbench does in that mode), each on a fresh database
 * migrated by migrateToLatest with PGBENCH_GIFTS pending gifts:
 *  - minimal: the least any durable ingestion must do per paid event: insert the event (with its
 *    payload), insert the payment, queue its receipt mail, update one totals row, commit (issue
 *    12's baseline, grown by the outbox row SPEC §10 asks for in the same transaction).
 *  - ledger statements: the statements one event cost before group commit (issue 12's starting
 *    point: captured from the pg client delivering one event through claimEvent, findGift,
 *    attachToGift, recordPayment, recompute, TotalsBatch.apply), one transaction per event.
 *
 * Size: the same app measurement on a database already holding SIZES gifts (each paid, with its
 * payment and its event row): the webhook cost must not grow with the ledger (issue 12 item 5).
 */
const WARMUP = 300;
/** Rounds: app, then each baseline, then again; a noisy neighbour slows every side of a round
 * alike, and the median of the rounds is reported. */
const ROUNDS = 3;
const EVENTS_PER_ROUND = 1500;
const HTTP_CONCURRENCY = 16;
const CLIENTS = 16;
const PGBENCH_SECONDS = 6;
const PGBENCH_GIFTS = 100_000;
const SIZES = [10_000, 1_000_000] as const;

export async function webhookSection(): Promise<Section> {
  const section: Section = {
    id: 'webhooks',
    title: `Webhook ingestion vs pgbench (checkout.session.completed, PostgreSQL, ${HTTP_CONCURRENCY} in flight / pgbench -c ${CLIENTS})`,
    status: 'ok',
    rows: [],
    notes: [],
  };
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    section.status = 'skipped';
    section.notes.push(
      'needs real PostgreSQL: set TEST_DATABASE_URL, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench',
    );
    return section;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gs-bench-'));
  const open: { close(): Promise<void> }[] = [];
  try {
    const app = await prepareApp(dir, 'fresh', 0);
    open.push(app);
    const havePgbench = which('pgbench') !== undefined;
    if (!havePgbench) section.notes.push('no baseline: pgbench not found (Debian: apt-get install -y postgresql-client).');
    const minimal = havePgbench ? await preparePgbench(dir, 'minimal', minimalScript()) : undefined;
    const ledger = havePgbench ? await preparePgbench(dir, 'ledger-statements', pgbenchScript()) : undefined;
    const bare = havePgbench ? await preparePgbench(dir, 'minimal-no-rollup', minimalScript(), { withoutRollup: true }) : undefined;
    for (const b of [minimal, ledger, bare]) if (b) open.push(b);
    await app.warmup();
    // The load generator's own ceiling: the same signed requests to a server that only reads
    // them and answers 200. Far above the app's rate, or the bench measures its client.
    const ceiling = await app.againstBare();
    section.notes.push(
      `load generator against a bare node:http server: ${ceiling.perSecond.toFixed(0)} req/s (p50 ${ceiling.p50Ms.toFixed(1)} ms).`,
    );
    const rounds: { app: ReplayResult; minimal?: PgbenchResult; ledger?: PgbenchResult; bare?: PgbenchResult }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = await app.round(r);
      rounds.push({
        app: a,
        ...(minimal && { minimal: await minimal.run() }),
        ...(ledger && { ledger: await ledger.run() }),
        ...(bare && { bare: await bare.run() }),
      });
    }
    const { groups } = await app.check();
    const details: Record<string, unknown> = { rounds, groups };
    section.details = details;
    for (const r of rounds)
      for (const b of [r.minimal, r.ledger, r.bare]) if (b?.failed) section.notes.push(`pgbench: ${b.failed} failed transactions.`);
    const appRate = median(rounds.map((r) => r.app.perSecond));
    const perRound = (k: 'minimal' | 'ledger' | 'bare') =>
      rounds.map((r) => (r[k] ? (r.app.perSecond / r[k].tps).toFixed(2) : 'n/a')).join(', ');
    section.notes.push(
      `${ROUNDS} rounds of ${EVENTS_PER_ROUND} events, medians shown; per-round ratio to the minimal transaction ${perRound('minimal')}; to it without the rollup triggers ${perRound('bare')}.`,
    );
    section.notes.push(
      `group commit: ${groups.events} events in ${groups.groups} transactions (largest ${groups.largest}, ${groups.isolations} rolled back for one bad event).`,
    );
    section.rows.push({
      metric: 'events/s vs minimal transaction',
      unit: '/s',
      value: appRate,
      baseline: minimal ? median(rounds.map((r) => r.minimal!.tps)) : undefined,
      baselineLabel: `pgbench -c ${CLIENTS}: event+payment+mail+totals`,
      better: 'higher',
    });
    section.rows.push({
      metric: 'events/s vs minimal, no rollup',
      unit: '/s',
      value: appRate,
      baseline: bare ? median(rounds.map((r) => r.bare!.tps)) : undefined,
      baselineLabel: `pgbench -c ${CLIENTS}: the same, without 0022's triggers`,
      better: 'higher',
    });
    section.rows.push({
      metric: 'events/s vs old ledger statements',
      unit: '/s',
      value: appRate,
      baseline: ledger ? median(rounds.map((r) => r.ledger!.tps)) : undefined,
      baselineLabel: `pgbench -c ${CLIENTS}: 1 event/txn, pre-issue-12 SQL`,
      better: 'higher',
    });
    const p50 = median(rounds.map((r) => r.app.p50Ms));
    const p99 = median(rounds.map((r) => r.app.p99Ms));
    section.rows.push({
      metric: 'webhook latency p50 / p99',
      unit: 'ms',
      value: p50,
      display: `${p50.toFixed(1)} / ${p99.toFixed(1)} ms`,
      better: 'lower',
    });
    // Free the fresh app and the pgbench databases before seeding a million gifts.
    for (const o of open.splice(0)) await o.close();

    if (process.env.BENCH_WEBHOOK_SIZES !== '0') {
      const [smallN, largeN] = SIZES;
      const small = await prepareApp(dir, 'small', smallN);
      open.push(small);
      const large = await prepareApp(dir, 'large', largeN);
      open.push(large);
      await small.warmup();
      await large.warmup();
      const sized: { small: ReplayResult; large: ReplayResult }[] = [];
      for (let r = 0; r < ROUNDS; r++) sized.push({ small: await small.round(r), large: await large.round(r) });
      await small.check();
      await large.check();
      details.sizes = sized;
      section.notes.push(
        `per-round ratio ${fmtCount(largeN)} ÷ ${fmtCount(smallN)} gifts: ${sized.map((x) => (x.large.perSecond / x.small.perSecond).toFixed(2)).join(', ')}.`,
      );
      section.rows.push({
        metric: `events/s with ${fmtCount(largeN)} vs ${fmtCount(smallN)} gifts`,
        unit: '/s',
        value: median(sized.map((x) => x.large.perSecond)),
        baseline: median(sized.map((x) => x.small.perSecond)),
        baselineLabel: `${fmtCount(smallN)} gifts`,
        better: 'higher',
      });
    } else section.notes.push('BENCH_WEBHOOK_SIZES=0: the 10k/1M gifts comparison was skipped.');
    return section;
  } finally {
    for (const o of open) await o.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmtCount = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/** The app on a fresh database (holding `seeded` paid gifts), with pending gifts for the warmup
 * and every round; each round's events are signed just before they are sent. */
async function prepareApp(dir: string, tag: string, seeded: number) {
  const { signPayload } = await import('../tests/helpers/app.js');
  const { makeCampaign } = await import('../tests/helpers/factories.js');
  const { checkoutSession, event, sid } = await import('../tests/helpers/events.js');
  const { committerOf } = await import('../server/webhooks/group-commit.js');
  const app = await startApp('postgres');
  try {
    const now = Date.now();
    const campaign = await makeCampaign(app.ctx.db, {
      slug: 'bench-webhooks',
      startsAt: new Date(now - 86_400_000),
      endsAt: new Date(now + 30 * 86_400_000),
    });
    if (seeded) await seedPaidGifts(app.ctx.db, campaign.id, seeded);
    const before = await app.ctx.db
      .selectFrom('campaign_totals')
      .where('campaign_id', '=', campaign.id)
      .select('donations')
      .executeTakeFirstOrThrow();
    const total = WARMUP + ROUNDS * EVENTS_PER_ROUND;
    const gifts = Array.from({ length: total }, (_, i) => ({
      id: randomUUID(),
      amount: 1000 + 500 * (i % 9),
      email: `donor-${i}@example.org`,
    }));
    await insertPendingGifts(
      app.ctx.db,
      gifts.map((g) => ({ ...g, campaignId: campaign.id })),
    );
    const send = async (name: string, list: typeof gifts, base = app.url) => {
      const created = Math.floor(Date.now() / 1000);
      const events = list.map((g) =>
        event('checkout.session.completed', checkoutSession({ ...g, campaignSlug: campaign.slug }, { paymentIntent: sid('pi') }), created),
      );
      const file = path.join(dir, `${tag}-${name}.json`);
      writeFileSync(file, JSON.stringify({ base, requests: signedRequests(events, (p) => signPayload(p)) } satisfies ReplayFile));
      return replay(file, HTTP_CONCURRENCY, 300_000);
    };
    return {
      warmup: () => send('warmup', gifts.slice(0, WARMUP)),
      async againstBare() {
        const bare = await startBare((req, res) => {
          req.on('data', () => {});
          req.on('end', () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"received":true,"outcome":"processed"}');
          });
        });
        try {
          return await send('bare', gifts.slice(WARMUP, WARMUP + EVENTS_PER_ROUND), bare.url);
        } finally {
          await bare.stop();
        }
      },
      round: (r: number) => send(`round-${r}`, gifts.slice(WARMUP + r * EVENTS_PER_ROUND, WARMUP + (r + 1) * EVENTS_PER_ROUND)),
      /** Every event sent must have counted exactly once, or the speed is not of the real work. */
      async check(): Promise<{ recorded: number; groups: GroupStats }> {
        const totals = await app.ctx.db
          .selectFrom('campaign_totals')
          .where('campaign_id', '=', campaign.id)
          .select('donations')
          .executeTakeFirstOrThrow();
        const recorded = totals.donations - before.donations;
        if (recorded !== total) throw new Error(`ledger counted ${recorded} donations for ${total} events`);
        const groups = committerOf(app.ctx.db)?.stats ?? { groups: 0, events: 0, largest: 0, isolations: 0, together: 0, sequential: 0 };
        return { recorded, groups: { ...groups } };
      },
      close: () => app.stop(),
    };
  } catch (err) {
    await app.stop();
    throw err;
  }
}

/** `n` paid gifts of a campaign, each with its payment, its event row and its donor, counted in
 * the campaign's totals: a ledger that has already taken n gifts. */
async function seedPaidGifts(db: AppContext['db'], campaignId: number, n: number): Promise<void> {
  const batch = 250_000;
  for (let from = 1; from <= n; from += batch) {
    const to = Math.min(n, from + batch - 1);
    await sql`insert into gifts (id, campaign_id, source, frequency, currency, amount, charge_amount, status, email, checkout_session_id, payment_intent_id)
      select md5('seed' || i)::uuid, ${campaignId}, 'stripe', 'once', 'USD', 2500, 2500, 'paid', 'seed-' || i || '@example.org', 'cs_seed_' || i, 'pi_seed_' || i
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at, in_window, donor_key, applied_raised, applied_donation)
      select md5('seed' || i)::uuid, ${campaignId}, 'pi_seed_' || i, 'one_time', 'pi_seed_' || i, 'USD', 2500, now(), now(), true, 'email:seed-' || i || '@example.org', 2500, 1
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into stripe_events (id, type, created, livemode, outcome, payload)
      select 'evt_seed_' || i, 'checkout.session.completed', extract(epoch from now())::bigint, false, 'processed', jsonb_build_object('id', 'evt_seed_' || i)
      from generate_series(${from}::int, ${to}::int) as i`.execute(db);
    await sql`insert into campaign_donors (campaign_id, donor_key, payments)
      select ${campaignId}, 'email:seed-' || i || '@example.org', 1 from generate_series(${from}::int, ${to}::int) as i`.execute(db);
  }
  await sql`update campaign_totals set raised = raised + ${n * 2500}, donations = donations + ${n}, donors = donors + ${n} where campaign_id = ${campaignId}`.execute(
    db,
  );
  await sql`vacuum analyze`.execute(db);
  await sql`checkpoint`.execute(db);
}

/** A payload of the same shape and size as the events the app receives, as a SQL expression.
 * pgbench replaces ":name" even inside quotes in extended mode, so the colons of the JSON travel
 * as '~'. */
function payloadSql(): string {
  const sample = {
    id: 'evt_bench_@R@',
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_790_000_000,
    data: {
      object: {
        id: 'cs_bench_@R@',
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_subtotal: 2500,
        amount_total: 2500,
        currency: 'usd',
        client_reference_id: '@G@',
        customer: null,
        customer_details: { email: 'donor-@G@@example.org', name: null },
        customer_email: 'donor-@G@@example.org',
        metadata: { gift_id: '@G@', campaign: 'bench-webhooks' },
        payment_intent: 'pi_bench_@R@',
        subscription: null,
        invoice: null,
        livemode: false,
        submit_type: 'donate',
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'checkout.session.completed',
  };
  return jsonSql(sample, 2);
}

/** A JSON value as a pgbench SQL expression; @R@ and @G@ become the script's :r and :g. */
function jsonSql(sample: object, indent?: number): string {
  return `replace('${JSON.stringify(sample, null, indent).replaceAll("'", "''").replaceAll(':', '~').replaceAll('@R@', "' || :r || '").replaceAll('@G@', "' || :g || '")}', '~', chr(58))::jsonb`;
}

/** The receipt mail a paid event queues (mail_outbox.data), as the ledger writes it. */
function receiptSql(): string {
  return jsonSql({
    paymentId: '@R@',
    giftId: '@G@',
    donorName: null,
    amount: 2500,
    coveredFees: 0,
    currency: 'USD',
    paidAt: '2026-11-30T01:00:00.000Z',
    campaign: 'Bench webhooks',
    dedication: null,
    recurring: false,
    offline: false,
  });
}

/**
 * The minimal durable webhook transaction (issue 12): insert the event, insert the payment,
 * queue the receipt mail (SPEC §10: queued in the transaction of the payment), update one totals
 * row, commit. What any correct ingestion must at least write per paid event.
 */
export function minimalScript(): string {
  const payload = payloadSql();
  const gift = `md5('g' || :g)::uuid`;
  return `\\set r random(1, 1000000000000000)
\\set g random(1, :ngifts)
BEGIN;
insert into stripe_events (id, type, created, livemode, outcome, payload, api_version) values ('evt_bench_' || :r, 'checkout.session.completed', extract(epoch from now())::bigint, false, 'processed', ${payload}, '2026-10-28.endive');
insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at, in_window, donor_key, applied_raised, applied_donation) values (${gift}, :campaign, 'pi_bench_' || :r, 'one_time', 'pi_bench_' || :r, 'USD', 2500, now(), now(), true, 'email' || chr(58) || 'donor-' || :g || '@example.org', 2500, 1);
insert into mail_outbox (fact_key, kind, to_address, data, next_attempt_at, created_at) values ('receipt' || chr(58) || 'bench_' || :r, 'receipt', 'donor-' || :g || '@example.org', ${receiptSql()}, now(), now());
update campaign_totals set raised = raised + 2500, donations = donations + 1, version = version + 1, updated_at = now() where campaign_id = :campaign;
END;
`;
}

/** The pgbench script: the statements of one checkout.session.completed, in order. */
export function pgbenchScript(): string {
  const payload = payloadSql();
  const gift = `md5('g' || :g)::uuid`;
  const email = `'donor-' || :g || '@example.org'`;
  const donorKey = `'email' || chr(58) || ${email}`;
  return `\\set r random(1, 1000000000000000)
\\set g random(1, :ngifts)
select outcome from stripe_events where id = 'evt_bench_' || :r;
BEGIN;
insert into stripe_events (id, type, created, livemode, outcome, detail, payload, api_version) values ('evt_bench_' || :r, 'checkout.session.completed', extract(epoch from now())::bigint, false, 'failed', 'being applied', ${payload}, '2026-10-28.endive') on conflict (id) do update set attempts = stripe_events.attempts + 1 where stripe_events.outcome in ('failed', 'unreadable') returning id;
select pg_advisory_xact_lock(hashtextextended('cs_bench_' || :r, 0));
select pg_advisory_xact_lock(hashtextextended('pi_bench_' || :r, 0));
select gift_id from payments where source_key = 'pi_bench_' || :r;
select * from gifts where source = 'stripe' and checkout_session_id = 'cs_bench_' || :r for update;
select * from gifts where source = 'stripe' and id = ${gift} for update;
update gifts set checkout_session_id = 'cs_bench_' || :r, payment_intent_id = 'pi_bench_' || :r, subscription_id = null, customer_id = null, email = ${email}, updated_at = now() where id = ${gift};
select starts_at, ends_at from campaigns where id = :campaign for share;
insert into payments (gift_id, campaign_id, source_key, kind, payment_intent_id, currency, amount, paid_at, counted_at, in_window, donor_key) values (${gift}, :campaign, 'pi_bench_' || :r, 'one_time', 'pi_bench_' || :r, 'USD', 2500, now(), now(), true, ${donorKey}) on conflict (source_key) do nothing returning id \\gset
select p.id, p.campaign_id, p.source_key, p.payment_intent_id, p.amount, p.currency, p.in_window, p.voided, p.donor_key, p.applied_raised, p.applied_donation, p.applied_refunded, p.applied_disputed, c.currency as campaign_currency from payments as p inner join campaigns as c on c.id = p.campaign_id where p.id = :id for update of p;
select payment_intent_id from stripe_invoice_payments where invoice_id = 'pi_bench_' || :r;
select charge_id, amount, status, created, failed_at from stripe_refunds where payment_intent_id in ('pi_bench_' || :r);
select charge_id, amount_refunded, as_of from stripe_charge_refunds where payment_intent_id in ('pi_bench_' || :r);
select amount, status from stripe_disputes where payment_intent_id in ('pi_bench_' || :r);
update payments set applied_raised = 2500, applied_donation = 1, applied_refunded = 0, applied_disputed = 0, updated_at = now() where id = :id;
select status from gifts where id = ${gift};
update gifts set status = 'paid', updated_at = now() where id = ${gift};
update stripe_events set outcome = 'processed', detail = null, conflict = null where id = 'evt_bench_' || :r;
insert into campaign_donors (campaign_id, donor_key, payments) values (:campaign, ${donorKey}, 1) on conflict (campaign_id, donor_key) do update set payments = campaign_donors.payments + 1 returning payments;
update campaign_totals set raised = raised + 2500, donations = donations + 1, donors = donors + 1, refunded = refunded + 0, disputed = disputed + 0, version = version + 1, updated_at = now() where campaign_id = :campaign;
select pg_notify('groundswell_progress', :campaign::text);
END;
`;
}

interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
  clients: number;
  seconds: number;
}

function runPgbench(
  url: string,
  script: string,
  vars: Record<string, string | number>,
  seconds: number,
  clients: number,
): Promise<PgbenchResult> {
  const args = ['-n', '-M', 'extended', '-f', script, '-c', String(clients), '-j', '2', '-T', String(seconds)];
  for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('pgbench', args, { timeout: (seconds + 60) * 1000 }, (err, stdout, stderr) => {
      const out = `${stdout}\n${stderr}`;
      if (err) return reject(new Error(`pgbench failed: ${err.message}\n${out.slice(-2000)}`));
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
      resolve({
        tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
        latencyAvgMs: num(/latency average = ([\d.]+) ms/),
        transactions: num(/number of transactions actually processed: (\d+)/),
        failed: num(/number of failed transactions: (\d+)/) || 0,
        clients,
        seconds,
      });
    });
  });
}

/** A pgbench script on its own fresh database with PGBENCH_GIFTS pending gifts; run() is one
 * round (after a short warmup the first time), close() checks every transaction counted. */
export async function preparePgbench(dir: string, name: string, text: string, opts: { withoutRollup?: boolean } = {}) {
  const { createTestDatabase } = await import('../tests/helpers/db.js');
  const { makeCampaign } = await import('../tests/helpers/factories.js');
  const database = await createTestDatabase('postgres');
  try {
    const campaign = await makeCampaign(database.db, { slug: 'bench-webhooks' });
    // The same transaction without what migration 0022 adds to every payment write (the
    // dashboard's 15-minute rollup, kept by triggers): the minimum before that rollup existed.
    if (opts.withoutRollup)
      for (const t of ['insert', 'update', 'delete', 'truncate'])
        await sql`drop trigger ${sql.raw(`payments_slots_${t}`)} on payments`.execute(database.db);
    // Pending gifts to pay; the script picks one at random (a repeat does the same statements).
    await sql`insert into gifts (id, campaign_id, source, frequency, currency, amount, charge_amount, status, email)
      select md5('g' || i)::uuid, ${campaign.id}, 'stripe', 'once', 'USD', 2500, 2500, 'created', 'donor-' || i || '@example.org'
      from generate_series(1, ${PGBENCH_GIFTS}) as i`.execute(database.db);
    await sql`analyze`.execute(database.db);
    const script = path.join(dir, `${name}.sql`);
    writeFileSync(script, text);
    const vars = { campaign: campaign.id, ngifts: PGBENCH_GIFTS };
    await runPgbench(database.url!, script, vars, 2, CLIENTS);
    let transactions = 0;
    return {
      async run(): Promise<PgbenchResult> {
        const r = await runPgbench(database.url!, script, vars, PGBENCH_SECONDS, CLIENTS);
        transactions += r.transactions;
        return r;
      },
      async close() {
        try {
          const totals = await database.db
            .selectFrom('campaign_totals')
            .where('campaign_id', '=', campaign.id)
            .select('donations')
            .executeTakeFirstOrThrow();
          if (totals.donations < transactions)
            throw new Error(`pgbench counted ${totals.donations} donations for ${transactions} transactions`);
        } finally {
          await database.drop();
        }
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}
