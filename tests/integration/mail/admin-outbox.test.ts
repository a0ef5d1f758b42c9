import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { queueMail } from '../../../server/mail/queue.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

describe.each(testDatabaseKinds())('GET /api/admin/outbox on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { ORG_NAME: 'The Riverside Ledger' } });
    admin = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());

  it('is for signed-in admins only', async () => {
    expect((await ctx.app.request('/api/admin/outbox')).status).toBe(401);
    expect((await ctx.app.request('/api/admin/outbox/1/html')).status).toBe(401);
  });

  it('without SMTP_URL shows every mail, rendered, newest first, with its status', async () => {
    await queueMail(ctx.db, {
      kind: 'digest.welcome',
      to: 'a@example.org',
      factKey: 'f-a',
      data: { unsubscribeToken: 'tok-a' },
      at: ctx.clock(),
    });
    await queueMail(ctx.db, { kind: 'digest.confirm', to: 'b@example.org', factKey: 'f-b', data: { token: 'tok-b' }, at: ctx.clock() });
    const before = await admin.json('/outbox');
    expect(before.delivery).toBe('outbox');
    expect(before.mails.map((m: { status: string }) => m.status)).toEqual(['pending', 'pending']);

    const worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
    expect(await worker.runOnce()).toMatchObject({ sent: 2 });
    const list = await admin.json('/outbox?limit=1');
    expect(list.counts).toEqual({ sent: 2 });
    expect(list.mails).toMatchObject([
      {
        to: 'b@example.org',
        kind: 'digest.confirm',
        status: 'sent',
        transport: 'outbox',
        subject: 'Please confirm your subscription to the daily digest of The Riverside Ledger',
      },
    ]);
    const next = await admin.json(`/outbox?limit=1&cursor=${list.nextCursor}`);
    expect(next.mails).toMatchObject([{ to: 'a@example.org' }]);
    expect(next.nextCursor).toBeNull();

    const one = await admin.json(`/outbox/${next.mails[0].id}`);
    expect(one.text).toContain('/digest/unsubscribe?token=tok-a');
    expect(one.headers).toMatchObject({ 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const html = await admin.req(`/outbox/${next.mails[0].id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    expect(await html.text()).toContain('The Riverside Ledger');
  });

  it('refuses bad query parameters and unknown ids with a clear 4xx', async () => {
    for (const q of ['?status=lost', '?cursor=abc', '?limit=0', '?limit=9999', '?unknown=1']) {
      const res = await admin.req(`/outbox${q}`);
      expect(res.status, q).toBe(400);
    }
    expect((await admin.req('/outbox/999999')).status).toBe(404);
    expect((await admin.req('/outbox/abc')).status).toBe(400);
  });
});
