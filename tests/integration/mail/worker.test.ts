import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { queueMail } from '../../../server/mail/queue.js';
import { type MailTransport, smtpTransport } from '../../../server/mail/transport.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { fakeClock } from '../../helpers/app.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { type SmtpPeer, startSmtpPeer } from './smtp-peer.js';

const log = createLogger('silent');

describe.each(testDatabaseKinds())('mail worker on %s', (kind) => {
  let database: TestDatabase;
  let peer: SmtpPeer;
  const clock = fakeClock('2026-12-05T10:00:00Z');
  const workers: ReturnType<typeof createMailWorker>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    peer = await startSmtpPeer({ reject: ['gone@example.org'] });
  });
  afterAll(async () => {
    await peer?.close();
    await database?.drop();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await database.db.deleteFrom('mail_outbox').execute();
    await database.db.deleteFrom('mail_suppressions').execute();
    peer.messages.length = 0;
  });

  const config = (env: Record<string, string> = {}) =>
    loadConfig({
      PUBLIC_URL: 'https://give.example.org',
      STRIPE_EMULATOR: '1',
      ORG_NAME: 'The Riverside Ledger',
      MAIL_FROM: 'The Riverside Ledger <news@riverside.example>',
      ...env,
    });
  const worker = (opts: { transport?: MailTransport; smtp?: boolean } = {}) => {
    const w = createMailWorker({
      db: database.db,
      config: config(opts.smtp === false ? {} : { SMTP_URL: peer.url }),
      clock,
      log,
      ...(opts.transport ? { transport: opts.transport } : {}),
    });
    workers.push(w);
    return w;
  };
  const queue = (to: string, factKey: string) =>
    queueMail(database.db, { kind: 'digest.welcome', to, factKey, data: { unsubscribeToken: `tok-${factKey}` }, at: clock() });
  const row = (factKey: string) =>
    database.db.selectFrom('mail_outbox').selectAll().where('fact_key', '=', factKey).executeTakeFirstOrThrow();

  it('queues nothing when the fact’s transaction rolls back, and a fact only once', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await queueMail(trx, {
          kind: 'digest.welcome',
          to: 'a@example.org',
          factKey: 'fact-1',
          data: { unsubscribeToken: 't' },
          at: clock(),
        });
        throw new Error('the fact failed');
      }),
    ).rejects.toThrow('the fact failed');
    expect(await database.db.selectFrom('mail_outbox').selectAll().execute()).toHaveLength(0);
    expect(await queue('A@Example.org', 'fact-1')).toBe(true);
    expect(await queue('a@example.org', 'fact-1')).toBe(false);
    const w = worker();
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
    // The same fact again after the mail went out (a webhook redelivered next week): nothing.
    expect(await queue('a@example.org', 'fact-1')).toBe(false);
    expect(await w.runOnce()).toMatchObject({ sent: 0 });
    expect(peer.messages).toHaveLength(1);
  });

  it('sends over SMTP with auth: text and HTML parts in the organisation’s name, RFC 8058 headers', async () => {
    await queue('reader@example.org', 'welcome-1');
    expect(await worker().runOnce()).toEqual({ sent: 1, retrying: 0, failed: 0, suppressed: 0 });
    const [m] = peer.messages;
    expect(m!.envelopeTo).toEqual(['reader@example.org']);
    expect(m!.from!.value).toEqual([{ name: 'The Riverside Ledger', address: 'news@riverside.example' }]);
    expect(m!.subject).toBe('You are subscribed to the daily digest of The Riverside Ledger');
    expect(m!.text).toContain('https://give.example.org/digest/unsubscribe?token=tok-welcome-1');
    expect(m!.html).toContain('The Riverside Ledger');
    expect(m!.html).not.toMatch(/<img/i);
    // The raw header lines, as a mail client reads them (RFC 8058 §3.1).
    const header = (name: string) => m!.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toBe('List-Unsubscribe: <https://give.example.org/digest/unsubscribe?token=tok-welcome-1>');
    const r = await row('welcome-1');
    expect(r).toMatchObject({ status: 'sent', attempts: 1, transport: 'smtp', lease_until: null, message_id: m!.messageId });
    expect(r.sent_at!.toISOString()).toBe('2026-12-05T10:00:00.000Z');
  });

  it('talks TLS from the first byte with smtps://', async () => {
    const tlsPeer = await startSmtpPeer({ secure: true });
    try {
      await queue('tls@example.org', 'tls-1');
      // The test server's certificate is self-signed; production keeps verification on.
      const w = worker({ transport: smtpTransport(tlsPeer.url, { tls: { rejectUnauthorized: false } }) });
      expect(await w.runOnce()).toMatchObject({ sent: 1 });
      expect(tlsPeer.messages.map((m) => m.envelopeTo)).toEqual([['tls@example.org']]);
    } finally {
      await tlsPeer.close();
    }
  });

  it('suppresses an address the server rejects with 550, and skips (but shows) later mail to it', async () => {
    await queue('gone@example.org', 'to-gone-1');
    await queue('ok@example.org', 'to-ok-1');
    const w = worker();
    expect(await w.runOnce()).toMatchObject({ sent: 1, suppressed: 1, retrying: 0 });
    expect(await row('to-gone-1')).toMatchObject({ status: 'suppressed', attempts: 1 });
    expect((await row('to-gone-1')).last_error).toContain('550');
    const sup = await database.db.selectFrom('mail_suppressions').selectAll().execute();
    expect(sup.map((s) => s.address)).toEqual(['gone@example.org']);

    await queue('Gone@Example.org', 'to-gone-2');
    expect(await w.runOnce()).toMatchObject({ sent: 0, suppressed: 1 });
    const later = await row('to-gone-2');
    expect(later.status).toBe('suppressed');
    expect(later.last_error).toContain('suppressed since');
    expect(peer.messages.map((m) => m.envelopeTo[0])).toEqual(['ok@example.org']);
  });

  it('keeps mail while the SMTP server is down, retries with backoff, and sends it once when it is back', async () => {
    await queue('patient@example.org', 'outage-1');
    await peer.down();
    try {
      const w = worker();
      expect(await w.runOnce()).toMatchObject({ sent: 0, retrying: 1 });
      let r = await row('outage-1');
      expect(r).toMatchObject({ status: 'pending', attempts: 1 });
      expect(r.next_attempt_at.toISOString()).toBe('2026-12-05T10:01:00.000Z');
      // Not due yet: nothing is tried.
      expect(await w.runOnce()).toMatchObject({ sent: 0, retrying: 0 });
      clock.advance(60_000);
      expect(await w.runOnce()).toMatchObject({ retrying: 1 });
      r = await row('outage-1');
      expect(r.next_attempt_at.toISOString()).toBe('2026-12-05T10:03:00.000Z'); // 2 min after the 2nd try
      await peer.up();
      clock.advance(2 * 60_000);
      // A process restart in between: a new worker picks the mail up from the database.
      const fresh = worker();
      expect(await fresh.runOnce()).toMatchObject({ sent: 1 });
      expect(await fresh.runOnce()).toMatchObject({ sent: 0 });
      expect(await row('outage-1')).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
      expect(peer.messages.map((m) => m.envelopeTo[0])).toEqual(['patient@example.org']);
    } finally {
      await peer.up();
    }
  });

  it('two workers racing send every mail exactly once', async () => {
    const n = 24;
    for (let i = 0; i < n; i++) await queue(`r${i}@example.org`, `race-${i}`);
    const a = worker();
    const b = worker();
    let rounds = 0;
    for (;;) {
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      rounds++;
      if (ra.sent + rb.sent === 0 || rounds > n) break;
    }
    const to = peer.messages.map((m) => m.envelopeTo[0]).sort();
    expect(to).toEqual(Array.from({ length: n }, (_, i) => `r${i}@example.org`).sort());
    expect(new Set(peer.messages.map((m) => m.messageId)).size).toBe(n);
    const rows = await database.db.selectFrom('mail_outbox').select(['status', 'attempts']).execute();
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });

  it('hands a crashed worker’s mail to another after the lease, and the late one cannot overwrite the result', async () => {
    await queue('lease@example.org', 'lease-1');
    let failLate: (e: Error) => void = () => {};
    const stuck: MailTransport = { kind: 'smtp', send: () => new Promise((_, reject) => (failLate = reject)), close() {} };
    const dying = createMailWorker({
      db: database.db,
      config: config({ SMTP_URL: peer.url }),
      clock,
      log,
      transport: stuck,
      leaseMs: 5 * 60_000,
    });
    const inFlight = dying.runOnce();
    await expect.poll(async () => (await row('lease-1')).status).toBe('sending');
    const other = worker();
    expect(await other.runOnce()).toMatchObject({ sent: 0 }); // leased: not taken
    clock.advance(5 * 60_000);
    expect(await other.runOnce()).toMatchObject({ sent: 1 });
    // The stuck worker wakes up with an error: it no longer holds the claim, so it changes nothing.
    failLate(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
    await inFlight;
    expect(await row('lease-1')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(peer.messages).toHaveLength(1);
  });

  it('without SMTP_URL keeps every mail in the built-in outbox, rendered', async () => {
    await queue('local@example.org', 'outbox-1');
    const w = worker({ smtp: false });
    expect(w.transport.kind).toBe('outbox');
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
    const r = await row('outbox-1');
    expect(r).toMatchObject({
      status: 'sent',
      transport: 'outbox',
      subject: 'You are subscribed to the daily digest of The Riverside Ledger',
    });
    expect(r.text_body).toContain('/digest/unsubscribe?token=tok-outbox-1');
    expect(r.html_body).toContain('<html');
    expect(peer.messages).toHaveLength(0);
  });

  it('gives up after the last attempt and says why', async () => {
    await queue('x@example.org', 'give-up-1');
    const failing: MailTransport = {
      kind: 'smtp',
      send: async () => Promise.reject(Object.assign(new Error('451 try later'), { responseCode: 451 })),
      close() {},
    };
    const w = createMailWorker({ db: database.db, config: config(), clock, log, transport: failing, maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      await w.runOnce();
      clock.advance(6 * 3_600_000);
    }
    expect(await row('give-up-1')).toMatchObject({ status: 'failed', attempts: 3, last_error: '451 try later' });
  });
});
