import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../../server/app.js';
import type { CreateCampaignInput } from '../../../server/campaigns/schemas.js';
import { createCampaign } from '../../../server/campaigns/service.js';
import { loadConfig } from '../../../server/config.js';
import { serveApp } from '../../../server/lib/serve.js';
import { createRuntime } from '../../../server/runtime.js';
import type { StripeEmulator } from '../../../server/stripe-emulator/index.js';
import { WEBHOOK_SECRET } from '../../helpers/app.js';
import { type DbKind, type TestDatabase, createTestDatabase } from '../../helpers/db.js';
import { ensureWebBuilt } from './build.js';

export interface RunningApp {
  base: string;
  port: number;
  database: TestDatabase;
  db: TestDatabase['db'];
  emulator: StripeEmulator;
  app: App;
  /** A campaign open from yesterday for 30 days (override any field). */
  campaign(input?: Partial<CreateCampaignInput>): Promise<CreateCampaignInput>;
  /** A paid gift through the real API and the emulator (webhooks delivered before it resolves). */
  give(slug: string, body: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * The whole app on a real socket (the browser needs one) with a fresh database, built by the
 * same createRuntime as server/main.ts: the SDK reaches the emulator in process, the emulator
 * delivers webhooks in process (app.request), and its hosted checkout page is what the browser
 * pays on.
 */
export async function startApp(opts: { kind?: DbKind; env?: Record<string, string> } = {}): Promise<RunningApp> {
  await ensureWebBuilt();
  // Real PostgreSQL when CI provides it (LISTEN/NOTIFY across pool connections), else PGlite.
  const database = await createTestDatabase(opts.kind ?? (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'));
  let handler: (req: Request, env: unknown) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  let fastPath: App['fastPath'] | undefined;
  const server = serveApp({ fetch: (req, env) => handler(req, env), fastPath: () => fastPath, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: base,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOG_LEVEL: 'silent',
    CHECKOUT_RATE_LIMIT: '1000',
    STRIPE_EMULATOR: '1',
    ...opts.env,
  });
  const runtime = await createRuntime(config, { database, emulator: { retryDelaysMs: [100, 500] } });
  const { app, emulator } = runtime;
  fastPath = app.fastPath;
  if (!emulator) throw new Error('the browser suite runs on the emulator');
  handler = (req, env) => app.fetch(req, env as never);

  return {
    base,
    port,
    database,
    db: database.db,
    emulator,
    app,
    async campaign(input = {}) {
      const now = Date.now();
      const c: CreateCampaignInput = {
        slug: 'year-end',
        title: 'The Riverside Ledger',
        headline: 'Urgent End Of Year Fundraising Campaign',
        message: 'Online donations are back! Keep independent media alive.',
        currency: 'USD',
        goal: 5_000_000,
        startsAt: new Date(now - DAY),
        endsAt: new Date(now + 30 * DAY - 3_600_000),
        presets: [1000, 2500, 5000, 10000],
        feeRate: { ppm: 29_000 }, // 2.9 %
        feeFixed: 30,
        match: null,
        ...input,
      };
      await createCampaign(database.db, c);
      return c;
    },
    async give(slug, body) {
      const res = await fetch(`${base}/api/campaigns/${slug}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      await emulator.completeCheckout(id, 'paid', { email: (body.email as string) ?? `donor-${id.slice(-6)}@example.org` });
      await emulator.flush();
      return id;
    },
    async close() {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
      await database.drop();
    },
  };
}

/** Another origin: serves fixed pages (HTML, or JS for *.js paths) by path (an embedding site). */
export async function startHostSite(pages: Record<string, string>): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const html = pages[(req.url ?? '/').split('?')[0]!];
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = /\.m?js$/.test(req.url ?? '') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    // "localhost", not 127.0.0.1: a different host and port, so certainly another origin.
    base: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
