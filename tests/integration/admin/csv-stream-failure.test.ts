import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { csvStream } from '../../../server/admin/csv.js';

describe('a CSV export that fails after it started', () => {
  it('ends the download as failed, with no error text appended to the file', async () => {
    const logged: unknown[] = [];
    const app = new Hono().get('/export.csv', (c) => {
      const body = csvStream<number>(
        ['Name'],
        undefined,
        async (cursor) => {
          if (cursor === 1) throw Object.assign(new Error('connection terminated: select … $1'), { params: ['ada@example.org'] });
          return { rows: [['Ada'], ['Bo']], cursor: 1 };
        },
        (err) => logged.push(err),
      );
      return c.body(body, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/export.csv`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let received = '';
      let failed: unknown = null;
      const dec = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += dec.decode(value, { stream: true });
        }
      } catch (err) {
        failed = err;
      }
      // The browser sees a broken transfer, not a complete file.
      expect(failed).not.toBeNull();
      expect(received).not.toMatch(/error|terminated|ada@/i);
      expect(logged).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
