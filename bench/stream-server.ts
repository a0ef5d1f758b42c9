/**
 * A stream server in its own process (bench/streams.ts runs it with --expose-gc), so that its
 * memory per viewer is its own. One JSON line per command on stdin/stdout:
 *   start-up             → {"url": "...", "database": "..."}
 *   "mem"                → {"rss": bytes}                  after a full GC
 *   "change"             → {"t0": epoch ms}                just before the change starts
 *                        → {"committed": epoch ms}         app: when the gift's NOTIFY came back
 *
 *   tsx bench/stream-server.ts bare <head-json> <event1-json> <event2-json>
 *       node:http holding every response; "change" writes event2 to all of them.
 *   tsx bench/stream-server.ts app <pglite|postgres> [<database url of instance A>]
 *       the real app; without a URL it creates the database and the campaign and "change" pays a
 *       gift through the webhook route; with one it is a second instance on that database.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const now = () => performance.timeOrigin + performance.now();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
export const STREAM_SLUG = 'bench-streams';

const [mode, a, b, c] = process.argv.slice(2);
let change: () => Promise<void> | void;
let stop: () => Promise<void>;

if (mode === 'bare') {
  const head = JSON.parse(a!) as string[];
  const first = Buffer.from(JSON.parse(b!) as string);
  const second = Buffer.from(JSON.parse(c!) as string);
  const open = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, head);
    res.write(first);
    open.add(res);
    res.on('close', () => open.delete(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  change = () => {
    for (const res of open) res.write(second);
  };
  stop = async () => {
    server.closeAllConnections();
    server.close();
  };
  say({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/campaigns/${STREAM_SLUG}/stream` });
} else if (mode === 'app') {
  const { serveApp } = await import('../server/lib/serve.js');
  const kind = a as 'pglite' | 'postgres';
  const { createTestContext } = await import('../tests/helpers/app.js');
  let app: import('../server/app.js').App;
  let database: string | undefined;
  let close: () => Promise<void>;
  if (!b) {
    const ctx = await createTestContext(kind);
    const { seedCampaign } = await import('./servers.js');
    await seedCampaign(ctx, STREAM_SLUG, 5);
    const { makeGift } = await import('../tests/helpers/factories.js');
    const { checkoutSession, event, sid } = await import('../tests/helpers/events.js');
    const campaign = await ctx.db.selectFrom('campaigns').selectAll().where('slug', '=', STREAM_SLUG).executeTakeFirstOrThrow();
    change = async () => {
      // The gift has landed when its NOTIFY comes back (after the commit): the moment the
      // issue's "viewers updated N ms after a gift landed" counts from.
      const committed = new Promise<number>((resolve) => {
        const off = ctx.bus.subscribe((id) => id === campaign.id && (off(), resolve(now())));
      });
      const gift = await makeGift(ctx.db, campaign, { amount: 2500 });
      const res = await ctx.deliver(
        event(
          'checkout.session.completed',
          checkoutSession({ ...gift, campaignSlug: STREAM_SLUG }, { paymentIntent: sid('pi') }),
          Math.floor(Date.now() / 1000),
        ),
      );
      if (res.status !== 200) throw new Error(`gift: ${res.status}`);
      say({ committed: await committed });
    };
    app = ctx.app;
    database = ctx.database.url;
    close = () => ctx.close();
  } else {
    const { connect } = await import('../db/connect.js');
    const { loadConfig } = await import('../server/config.js');
    const { createRuntime } = await import('../server/runtime.js');
    const handle = await connect({ databaseUrl: b, dataDir: '' });
    const runtime = await createRuntime(
      loadConfig({
        PUBLIC_URL: 'http://groundswell.test',
        STRIPE_EMULATOR: '1',
        STRIPE_WEBHOOK_SECRET: 'whsec_bench',
        LOG_LEVEL: 'silent',
      }),
      { database: { ...handle, url: b } },
    );
    // Its LISTEN connection is up once a NOTIFY of ours comes back (its own "anything may have
    // changed" may have come and gone while the runtime was being built).
    const { notifyProgress } = await import('../server/live/bus.js');
    for (let heard = false; !heard; ) {
      heard = await new Promise<boolean>((resolve) => {
        const off = runtime.bus.subscribe((id) => id === 0 && (off(), resolve(true)));
        setTimeout(() => (off(), resolve(false)), 250);
        void notifyProgress(runtime.db, 0);
      });
    }
    change = () => {
      throw new Error('the second instance takes no gifts');
    };
    app = runtime.app;
    close = async () => {
      await runtime.close();
      await handle.close();
    };
  }
  const server = serveApp({
    fetch: (req, env) => app.fetch(req, env as never),
    fastPath: () => app.fastPath,
    port: 0,
    hostname: '127.0.0.1',
  });
  if (!server.listening) await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/campaigns/${STREAM_SLUG}/stream`;
  stop = async () => {
    app.endStreams();
    server.closeAllConnections();
    server.close();
    await close();
  };
  say({ url, database });
} else {
  console.error('usage: stream-server.ts bare <head> <event1> <event2> | app <kind> [<database url>]');
  process.exit(2);
}

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'mem') {
    gc();
    gc();
    say({ rss: process.memoryUsage().rss });
  } else if (cmd === 'change') {
    say({ t0: now() });
    await change();
  } else if (cmd === 'stop') break;
}
await stop();
process.exit(0);
