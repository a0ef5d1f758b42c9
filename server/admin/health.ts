import { type Kysely, sql } from 'kysely';
import Stripe from 'stripe';
import type { EndpointHealth, ReconciliationRun, WebhookHealth } from '../../common/api.js';
import type { Database } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { listEndpoints, wantedEvents, webhookUrl } from '../stripe-ops/setup.js';

/**
 * Webhook health (SPEC §12), for the admin and GET /api/admin/health: is money flowing in?
 * The last event received and its age, events per hour over the last day, the events that could
 * not be applied and why, the webhook endpoint as Stripe has it (its API version against the
 * SDK's pinned one, read through the API), the last reconciliation and what it recovered, and
 * a warning when nothing arrived for longer than WEBHOOK_SILENCE_MINUTES while donors started
 * checkouts (the classic broken-webhook symptom: money is taken, no gift is counted).
 */

const HOUR_MS = 3_600_000;
/** The endpoint is read from Stripe at most this often (every admin page shows the warning). */
const ENDPOINT_TTL_MS = 5 * 60_000;
const endpointCache = new WeakMap<Stripe, { at: number; value: EndpointHealth }>();

async function readEndpoint(stripe: Stripe, publicUrl: string, now: number): Promise<EndpointHealth> {
  const cached = endpointCache.get(stripe);
  // A healthy answer is kept for a while; a problem is asked again soon (someone may be fixing it).
  const ttl = cached?.value.matchesPinned && !cached.value.missingEvents?.length ? ENDPOINT_TTL_MS : 30_000;
  if (cached && now - cached.at < ttl && cached.value.url === webhookUrl(publicUrl)) return cached.value;
  const url = webhookUrl(publicUrl);
  const pinnedVersion = Stripe.API_VERSION;
  let value: EndpointHealth;
  try {
    const ours = (await listEndpoints(stripe)).filter((e) => e.url === url);
    const e =
      ours.find((x) => x.status === 'enabled' && x.api_version === pinnedVersion) ?? ours.find((x) => x.status === 'enabled') ?? ours[0];
    if (!e) value = { url, pinnedVersion, found: false };
    else {
      const have = new Set(e.enabled_events);
      value = {
        url,
        pinnedVersion,
        found: true,
        id: e.id,
        apiVersion: e.api_version,
        status: e.status,
        matchesPinned: e.api_version === pinnedVersion,
        missingEvents: have.has('*') ? [] : wantedEvents().filter((t) => !have.has(t)),
      };
    }
  } catch (err) {
    value = { url, pinnedVersion, found: false, error: err instanceof Error ? err.message : String(err) };
  }
  endpointCache.set(stripe, { at: now, value });
  return value;
}

function runView(r: {
  id: number;
  trigger: string;
  since: Date;
  until: Date;
  started_at: Date;
  finished_at: Date | null;
  status: string;
  recovered: number;
  error: string | null;
  report: unknown;
}): ReconciliationRun {
  const report = typeof r.report === 'string' ? (JSON.parse(r.report) as { lines?: string[] }) : (r.report as { lines?: string[] } | null);
  return {
    id: r.id,
    trigger: r.trigger as ReconciliationRun['trigger'],
    since: r.since.toISOString(),
    until: r.until.toISOString(),
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    status: r.status as ReconciliationRun['status'],
    recovered: r.recovered,
    error: r.error,
    lines: (report?.lines ?? []).slice(0, 50),
  };
}

async function lastRuns(db: Kysely<Database>) {
  const cols = ['id', 'trigger', 'since', 'until', 'started_at', 'finished_at', 'status', 'recovered', 'error', 'report'] as const;
  const [last, lastOk] = await Promise.all([
    db.selectFrom('reconciliation_runs').select(cols).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst(),
    db
      .selectFrom('reconciliation_runs')
      .where('status', '=', 'ok')
      .select(cols)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  return { last: last ? runView(last) : null, lastSuccessful: lastOk ? runView(lastOk) : null };
}

export async function webhookHealth(
  deps: Pick<AppDeps, 'db' | 'stripe' | 'config' | 'clock'>,
  opts: { endpoint?: boolean } = {},
): Promise<WebhookHealth> {
  const { db, config } = deps;
  const now = deps.clock();
  const dayAgo = new Date(now.getTime() - 24 * HOUR_MS);
  const [last, perHour, notApplied, notAppliedCount, runs] = await Promise.all([
    db.selectFrom('stripe_events').select(['received_at', 'type']).orderBy('received_at', 'desc').limit(1).executeTakeFirst(),
    db
      .selectFrom('stripe_events')
      .where('received_at', '>', dayAgo)
      // Hours ago, 0 = the last hour.
      .select([
        sql<number>`greatest(0, floor(extract(epoch from (${now}::timestamptz - received_at)) / 3600))::int`.as('ago'),
        sql<number>`count(*)::int`.as('n'),
      ])
      .groupBy(sql`1`)
      .execute(),
    db
      .selectFrom('stripe_events')
      .where('outcome', 'in', ['failed', 'unreadable'])
      .select(['id', 'type', 'outcome', 'detail', 'attempts', 'received_at'])
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(20)
      .execute(),
    db
      .selectFrom('stripe_events')
      .where('outcome', 'in', ['failed', 'unreadable'])
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow(),
    lastRuns(db),
  ]);
  const lastAt = last?.received_at ?? null;
  // Checkouts started (gifts created for Stripe) since the last event arrived, or ever if none did.
  const started = await db
    .selectFrom('gifts')
    .where('source', '=', 'stripe')
    .$if(lastAt !== null, (q) => q.where('created_at', '>', lastAt!))
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  const silentMs = lastAt ? now.getTime() - lastAt.getTime() : null;
  const threshold = config.webhookSilenceMinutes;
  const silent = silentMs === null || silentMs > threshold * 60_000;
  const counts = new Map(perHour.map((r) => [r.ago, r.n]));
  const eventsPerHour = Array.from({ length: 24 }, (_, i) => {
    const ago = 23 - i;
    return { hour: new Date(now.getTime() - (ago + 1) * HOUR_MS).toISOString(), count: counts.get(ago) ?? 0 };
  });
  return {
    now: now.toISOString(),
    webhooks: {
      lastEventAt: lastAt?.toISOString() ?? null,
      lastEventType: last?.type ?? null,
      lastEventAgeSeconds: silentMs === null ? null : Math.max(0, Math.floor(silentMs / 1000)),
      eventsLastHour: counts.get(0) ?? 0,
      eventsPerHour,
      notApplied: {
        count: notAppliedCount.n,
        events: notApplied.map((e) => ({
          id: e.id,
          type: e.type,
          status: e.outcome,
          reason: e.detail,
          attempts: e.attempts,
          receivedAt: e.received_at.toISOString(),
        })),
      },
    },
    endpoint: opts.endpoint === false ? null : await readEndpoint(deps.stripe, config.publicUrl, now.getTime()),
    reconciliation: runs,
    silence: {
      thresholdMinutes: threshold,
      checkoutsSinceLastEvent: started.n,
      warning:
        silent && started.n > 0
          ? lastAt
            ? `No Stripe event has arrived for ${Math.floor(silentMs! / 60_000)} minutes, but ${started.n} checkout(s) were started since the last one: webhooks may not be reaching this server (check the endpoint and STRIPE_WEBHOOK_SECRET). Reconciliation recovers missed payments.`
            : `No Stripe event has ever arrived, but ${started.n} checkout(s) were started: webhooks are not reaching this server (run npm run stripe:setup and set STRIPE_WEBHOOK_SECRET).`
          : null,
    },
  };
}

export type { WebhookHealth };
