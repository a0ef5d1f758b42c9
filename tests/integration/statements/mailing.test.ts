import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { createStatementRunner } from '../../../server/statements/job.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { pdfText } from '../../helpers/pdf.js';
import { ADMIN_PASSWORD, type AdminClient, signIn } from '../admin/helpers.js';
import { openCampaigns, paidGift } from './helpers.js';

const log = createLogger('silent');

describe.each(testDatabaseKinds())('the January statement mailing on %s', (kind) => {
  let ctx: TestContext;
  let owner: AdminClient;
  const clock = fakeClock('2027-01-04T15:00:00Z');
  const statementMails = () =>
    ctx.db
      .selectFrom('mail_outbox')
      .select(['fact_key', 'to_address', 'status', 'data'])
      .where('kind', '=', 'statement')
      .orderBy('fact_key')
      .execute();

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock, env: { ORG_TIMEZONE: 'Europe/Paris', ORG_NAME: 'Radio Libre' } });
    const { usd, eur } = await openCampaigns(ctx);
    // Four donors with something given in 2026 (one of them twice, under two spellings).
    await paidGift(ctx, usd, { email: 'Anna@Example.org', amount: 2_000, paidAt: '2026-02-01T10:00:00Z' });
    await paidGift(ctx, eur, { email: 'anna@example.org', amount: 3_000, paidAt: '2026-09-01T10:00:00Z' });
    await paidGift(ctx, usd, { email: 'ben@example.org', amount: 1_000, paidAt: '2026-04-01T10:00:00Z' });
    await paidGift(ctx, usd, { email: 'chloe@example.org', amount: 1_000, paidAt: '2026-12-31T22:30:00Z' }); // 23:30 in Paris
    await paidGift(ctx, usd, { email: 'dev@example.org', amount: 9_000, paidAt: '2026-06-01T10:00:00Z' });
    // Given back in full: no statement worth sending.
    await paidGift(ctx, usd, { email: 'refunded@example.org', amount: 5_000, paidAt: '2026-03-01T10:00:00Z', refunded: 5_000 });
    // Another year's donors.
    await paidGift(ctx, usd, { email: 'old@example.org', amount: 5_000, paidAt: '2025-03-01T10:00:00Z' });
    await paidGift(ctx, usd, { email: 'new@example.org', amount: 5_000, paidAt: '2026-12-31T23:30:00Z' }); // 00:30 on 1 January in Paris
    owner = await signIn(ctx);
  });
  afterAll(async () => ctx?.close());
  const reauth = () => owner.json('/session/reauth', { method: 'POST', body: { password: ADMIN_PASSWORD } });

  it('only an owner with a recent password starts it, and only for a year that is over', async () => {
    const editor = await signIn(ctx, 'editor@example.org', 'editor');
    expect((await editor.req('/statements/runs', { method: 'POST', body: { year: 2026 } })).status).toBe(403);
    const notOver = await owner.req('/statements/runs', { method: 'POST', body: { year: 2027 } });
    expect(notOver.status).toBe(400);
    expect((await notOver.json()).error.code).toBe('year_not_over');
    expect((await owner.req('/statements/runs', { method: 'POST', body: { year: 2026, perMinute: 0 } })).status).toBe(400);
    expect((await owner.req('/statements/runs', { method: 'POST', body: { year: '2026' } })).status).toBe(400);
    expect(await ctx.db.selectFrom('statement_runs').selectAll().execute()).toEqual([]);
  });

  it('queues one mail per donor at the chosen pace, resumes in a new process, and never twice', async () => {
    const res = await owner.req('/statements/runs', { method: 'POST', body: { year: 2026, perMinute: 2 } });
    expect(res.status).toBe(201);
    expect((await res.json()).run).toMatchObject({ year: 2026, status: 'running', perMinute: 2, donors: 5, queued: 0 });

    const first = createStatementRunner({ db: ctx.db, config: ctx.config, clock, log, burst: 3 });
    expect(await first.runOnce()).toEqual({ queued: 1 }); // the first mail goes at once
    expect(await first.runOnce()).toEqual({ queued: 0 }); // then two a minute
    clock.advance(29_000);
    expect(await first.runOnce()).toEqual({ queued: 0 });
    clock.advance(1_000);
    expect(await first.runOnce()).toEqual({ queued: 1 });
    expect((await statementMails()).map((m) => m.to_address)).toEqual(['anna@example.org', 'ben@example.org']);

    // The process stops here; another one (or a restart) picks the mailing up from the database.
    // An hour later the throttle allows only its burst (3), not sixty mails at once.
    clock.advance(3_600_000);
    const second = createStatementRunner({ db: ctx.db, config: ctx.config, clock, log, burst: 3 });
    const third = createStatementRunner({ db: ctx.db, config: ctx.config, clock, log, burst: 3 });
    const both = await Promise.all([second.runOnce(), third.runOnce()]);
    expect(both.reduce((s, r) => s + r.queued, 0)).toBe(2);
    expect(await second.runOnce()).toEqual({ queued: 0 });

    const mails = await statementMails();
    expect(mails.map((m) => [m.fact_key, m.to_address])).toEqual([
      ['statement:2026:anna@example.org', 'anna@example.org'],
      ['statement:2026:ben@example.org', 'ben@example.org'],
      ['statement:2026:chloe@example.org', 'chloe@example.org'],
      ['statement:2026:dev@example.org', 'dev@example.org'],
    ]);
    expect(mails[0]!.data).toMatchObject({
      year: 2026,
      totals: [
        { currency: 'EUR', net: 3_000, payments: 1 },
        { currency: 'USD', net: 2_000, payments: 1 },
      ],
    });
    const runs = await owner.json('/statements/runs');
    expect(runs.runs).toEqual([
      expect.objectContaining({
        year: 2026,
        status: 'done',
        donors: 5,
        queued: 4,
        skipped: 1,
        mail: { pending: 4 },
        finishedAt: expect.any(String),
      }),
    ]);

    // Asking again (a double click, another owner) sends nobody a second statement.
    await reauth();
    expect((await owner.req('/statements/runs', { method: 'POST', body: { year: 2026 } })).status).toBe(201);
    clock.advance(3_600_000);
    expect(await second.runOnce()).toEqual({ queued: 0 });
    expect(await statementMails()).toHaveLength(4);
  });

  it('sends each statement with a link to the donor’s PDF, and shows what went out', async () => {
    const worker = createMailWorker({ db: ctx.db, config: ctx.config, clock, log });
    expect(await worker.runOnce()).toMatchObject({ sent: 4, failed: 0 });
    const mail = await ctx.db
      .selectFrom('mail_outbox')
      .select(['subject', 'text_body'])
      .where('fact_key', '=', 'statement:2026:anna@example.org')
      .executeTakeFirstOrThrow();
    expect(mail.subject).toBe('Your 2026 giving statement from Radio Libre');
    expect(mail.text_body).toContain('€30.00 (EUR, 1 payment)');
    const url = /http:\/\/groundswell\.test\/statements\/\S+/.exec(mail.text_body!)![0];
    const pdf = await ctx.app.request(new URL(url).pathname);
    expect(pdf.status).toBe(200);
    const [text] = await pdfText(new Uint8Array(await pdf.arrayBuffer()));
    expect(text).toContain('Donor: anna@example.org');
    expect(text).toContain('USD: $20.00 (1 payment');
    expect((await owner.json('/statements/runs')).runs[0].mail).toEqual({ sent: 4 });
  });

  it('pauses and resumes', async () => {
    await reauth();
    await owner.json('/statements/runs', { method: 'POST', body: { year: 2025, perMinute: 60 } });
    expect((await owner.json('/statements/runs/2025/pause', { method: 'POST' })).run.status).toBe('paused');
    const runner = createStatementRunner({ db: ctx.db, config: ctx.config, clock, log });
    clock.advance(600_000);
    expect(await runner.runOnce()).toEqual({ queued: 0 });
    await reauth();
    expect((await owner.json('/statements/runs/2025/resume', { method: 'POST' })).run.status).toBe('running');
    expect(await runner.runOnce()).toEqual({ queued: 1 });
    expect((await statementMails()).filter((m) => m.fact_key.startsWith('statement:2025:')).map((m) => m.to_address)).toEqual([
      'old@example.org',
    ]);
    expect((await owner.req('/statements/runs/2024/pause', { method: 'POST' })).status).toBe(404);
  });
});
