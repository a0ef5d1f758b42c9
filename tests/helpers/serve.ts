import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../server/app.js';
import { serveApp } from '../../server/lib/serve.js';

/** An app on a real node:http socket (server/lib/serve.ts), with or without its fast path. */
export interface Running {
  port: number;
  /** How many requests the fast path took. */
  fast: number;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1 (a free port); `fast: false` sends every request to the framework. */
export async function listen(app: App, fast: boolean): Promise<Running> {
  const r: Running = { port: 0, fast: 0, close: async () => {} };
  const server: Server = serveApp({
    fetch: (req, env) => app.fetch(req, env as never),
    fastPath: () => (fast ? (req, res) => app.fastPath(req, res) && ++r.fast > 0 : undefined),
    port: 0,
    hostname: '127.0.0.1',
  });
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  r.port = (server.address() as AddressInfo).port;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return r;
}
