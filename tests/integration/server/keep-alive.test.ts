import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext } from '../../helpers/app.js';

/** One request on the given agent; resolves with status, headers, body and the socket used. */
function request(agent: http.Agent, port: number, opts: { method: string; path: string; body?: Buffer; chunked?: boolean }) {
  return new Promise<{ status: number; connection?: string; body: string; socket: unknown }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: opts.method,
        path: opts.path,
        headers: {
          'content-type': 'application/json',
          ...(opts.body && !opts.chunked ? { 'content-length': String(opts.body.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            connection: res.headers.connection,
            body: Buffer.concat(chunks).toString(),
            socket: req.socket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

describe('a 413 on a keep-alive connection', () => {
  let ctx: TestContext;
  let server: ReturnType<typeof serve>;
  let port: number;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    await new Promise<void>((resolve) => {
      server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await ctx?.close();
  });

  it.each([false, true])('never breaks the next request (chunked: %s)', async (chunked) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const warm = await request(agent, port, { method: 'GET', path: '/healthz' });
      expect(warm.status).toBe(200);
      const big = Buffer.alloc(200 * 1024, 'a');
      for (let i = 0; i < 4; i++) {
        const res = await request(agent, port, { method: 'POST', path: '/api/campaigns/demo/checkout', body: big, chunked });
        expect(res.status).toBe(413);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
        // The body was not read: the server says it closes this connection.
        expect(res.connection).toBe('close');
      }
      const after = await request(agent, port, { method: 'GET', path: '/healthz' });
      expect(after.status).toBe(200);
      // And a connection that did not hit a 413 is kept alive.
      const again = await request(agent, port, { method: 'GET', path: '/healthz' });
      expect(again.socket).toBe(after.socket);
    } finally {
      agent.destroy();
    }
  });

  it('a keep-alive fetch client (undici) never sees "other side closed" after streamed oversize bodies', async () => {
    const results: string[] = [];
    const stream = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let k = 0; k < 50; k++) c.enqueue(new TextEncoder().encode('a'.repeat(10_000)));
          c.close();
        },
      });
    for (let i = 0; i < 5; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/campaigns/demo/checkout`, {
          method: 'POST',
          body: stream(),
          headers: { 'content-type': 'application/json' },
          duplex: 'half',
        } as RequestInit);
        await res.text();
        results.push(String(res.status));
      } catch (e) {
        results.push(`error: ${String((e as { cause?: Error }).cause?.message ?? e)}`);
      }
    }
    const small = await fetch(`http://127.0.0.1:${port}/healthz`);
    results.push(String(small.status));
    expect(results).toEqual(['413', '413', '413', '413', '413', '200']);
  });
});
