import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';

type Fetch = (req: Request, env: unknown) => Response | Promise<Response>;
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * @hono/node-server with the app's fast path in front (App.fastPath: warm progress reads and
 * event streams answered from precomputed bytes). Both are looked up per request, so a server
 * can listen before the app exists (server/main.ts listens first, then builds the runtime).
 */
export function serveApp(opts: { port: number; hostname?: string; fetch: Fetch; fastPath: () => FastPath | undefined }): Server {
  return serve({
    fetch: opts.fetch,
    port: opts.port,
    ...(opts.hostname && { hostname: opts.hostname }),
    createServer: ((options: object, listener: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer(options, (req, res) => {
        const fast = opts.fastPath();
        if (!fast?.(req, res)) listener(req, res);
      })) as typeof createServer,
  }) as Server;
}
