import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveApp } from '../server/lib/serve.js';
import type { DbKind } from '../tests/helpers/db.js';
import { sql } from 'kysely';

/** The servers the sections load: the real app on a real socket, and plain node:http baselines.
 * All listen on 127.0.0.1 (port 0: a free port) and close every connection on stop, so an open
 * SSE stream or a keep-alive socket never holds the bench open. */

export interface Running {
  url: string;
  stop(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export type AppContext = Awaited<ReturnType<typeof import('../tests/helpers/app.js').createTestContext>>;

/**
 * The whole app (createApp with the emulator wired in, as the test suites build it) on a fresh
 * database, served by @hono/node-server like server/main.ts does. `wrap` may answer requests
 * before the app (the widget section serves embed.js itself while the app does not yet).
 */
export async function startApp(
  kind: DbKind,
  wrap?: (req: Request, app: (req: Request) => Response | Promise<Response>) => Response | Promise<Response>,
): Promise<Running & { ctx: AppContext }> {
  // Loaded lazily: the load-generator child imports bench modules and must stay light.
  const { createTestContext } = await import('../tests/helpers/app.js');
  const ctx = await createTestContext(kind);
  const fetch = (req: Request, env?: unknown) => ctx.app.fetch(req, env as never);
  const server = serveApp({
    fetch: wrap ? (req: Request, env: unknown) => wrap(req, (r) => fetch(r, env)) : fetch,
    fastPath: () => ctx.app.fastPath,
    port: 0,
    hostname: '127.0.0.1',
  });
  if (!server.listening) await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    ctx,
    async stop() {
      await closeServer(server);
      await ctx.close();
    },
  };
}

/** A plain node:http server; `handle` answers every request. */
export async function startBare(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  const url = await listen(server);
  return { url, stop: () => closeServer(server) };
}

export const HEADLINE = 'Keep the river library open through the winter';

/** Checkouts a donor started (gifts `created`, one-time, USD), in batches of 1,000, then ANALYZE:
 * what the webhook benches' `checkout.session.completed` events will pay. */
export async function insertPendingGifts(
  db: AppContext['db'],
  gifts: readonly { id: string; campaignId: number; amount: number; email: string }[],
): Promise<void> {
  for (let i = 0; i < gifts.length; i += 1000)
    await db
      .insertInto('gifts')
      .values(
        gifts.slice(i, i + 1000).map((g) => ({
          id: g.id,
          campaign_id: g.campaignId,
          source: 'stripe',
          frequency: 'once',
          currency: 'USD',
          amount: g.amount,
          charge_amount: g.amount,
          status: 'created',
          email: g.email,
        })),
      )
      .execute();
  await sql`analyze`.execute(db);
}

/** A campaign open now, with `paid` gifts paid through the real webhook path (so totals, donors
 * and the progress JSON look like a live campaign's). */
export async function seedCampaign(ctx: AppContext, slug: string, paid: number): Promise<void> {
  const { makeCampaign, makeGift } = await import('../tests/helpers/factories.js');
  const { checkoutSession, event, sid } = await import('../tests/helpers/events.js');
  const now = Date.now();
  const campaign = await makeCampaign(ctx.db, {
    slug,
    title: 'River Library winter appeal',
    headline: HEADLINE,
    message: 'Every gift before December 31 is matched by the Friends of the Library, up to $5,000.',
    goal: 2_500_000,
    startsAt: new Date(now - 7 * 86_400_000),
    // Mid-day: the app's clock is frozen at its start (tests/helpers/app.ts), so an end exactly 30
    // days from now would count 31 days left on the server and 30 in the browser a moment later.
    endsAt: new Date(now + 30 * 86_400_000 + 43_200_000),
    match: { ratio: { ppm: 1_000_000 }, cap: 500_000 },
  });
  for (let i = 0; i < paid; i++) {
    const gift = await makeGift(ctx.db, campaign, { amount: 1000 + 500 * (i % 7) });
    const session = checkoutSession({ ...gift, campaignSlug: slug, email: `donor${i}@example.org` }, { paymentIntent: sid('pi') });
    const res = await ctx.deliver(event('checkout.session.completed', session, Math.floor(now / 1000)));
    if (res.status !== 200) throw new Error(`seeding gift ${i}: webhook answered ${res.status} ${await res.text()}`);
  }
}
