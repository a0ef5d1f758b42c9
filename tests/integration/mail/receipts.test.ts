import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { queueMail } from '../../../server/mail/queue.js';
import { receiptNumber } from '../../../server/mail/receipts.js';
import { formatAmount } from '../../../server/mail/templates.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { fakeClock } from '../../helpers/app.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { type SmtpPeer, startSmtpPeer } from './smtp-peer.js';

describe.each(testDatabaseKinds())('receipt numbers and the receipt mail on %s', (kind) => {
  let database: TestDatabase;
  let peer: SmtpPeer;
  const clock = fakeClock('2026-12-31T23:30:00Z');
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    peer = await startSmtpPeer();
  });
  afterAll(async () => {
    await peer?.close();
    await database?.drop();
  });

  it('gives each payment one number, the same every time, increasing, without burning numbers on repeats', async () => {
    const a = await receiptNumber(database.db, 101, clock());
    for (let i = 0; i < 3; i++) expect(await receiptNumber(database.db, 101, clock())).toBe(a);
    const b = await receiptNumber(database.db, 102, clock());
    expect(b).toBe(a + 1);
  });

  it('numbers concurrent payments uniquely, one number per payment', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 200 + i);
    const runs = await Promise.all(
      [...ids, ...ids].map((id) => database.db.transaction().execute(async (trx) => ({ id, n: await receiptNumber(trx, id, clock()) }))),
    );
    const byPayment = new Map<number, Set<number>>();
    for (const r of runs) byPayment.set(r.id, (byPayment.get(r.id) ?? new Set()).add(r.n));
    expect([...byPayment.values()].every((s) => s.size === 1)).toBe(true);
    const numbers = [...byPayment.values()].map((s) => [...s][0]);
    expect(new Set(numbers).size).toBe(20);
  });

  it('a receipt queued twice for one payment (a redelivered webhook) is sent once, with the number the payment already had', async () => {
    const queue = () =>
      database.db.transaction().execute(async (trx) => {
        return queueMail(trx, {
          kind: 'receipt',
          to: 'dana@example.org',
          factKey: 'receipt:101',
          data: {
            paymentId: 101,
            donorName: 'Dana K.',
            amount: 123_450,
            coveredFees: 0,
            currency: 'usd',
            paidAt: clock().toISOString(),
            campaign: 'Year-end drive',
            dedication: { kind: 'memory', name: 'Ms. Alvarez' },
            recurring: true,
            offline: false,
          },
          at: clock(),
        });
      });
    expect(await queue()).toBe(true);
    expect(await queue()).toBe(false);
    const config = loadConfig({
      SMTP_URL: peer.url,
      ORG_NAME: 'The Riverside Ledger',
      PUBLIC_URL: 'https://give.example.org',
      STRIPE_EMULATOR: '1',
    });
    const worker = createMailWorker({ db: database.db, config, clock, log: createLogger('silent') });
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(await worker.runOnce()).toMatchObject({ sent: 0 });
    expect(peer.messages).toHaveLength(1);
    const m = peer.messages[0]!;
    expect(m.subject).toBe('Your receipt from The Riverside Ledger: $1,234.50');
    const number = await receiptNumber(database.db, 101, clock());
    for (const part of [m.text!, m.html as string]) {
      expect(part).toContain(String(number));
      expect(part).toContain('$1,234.50');
      expect(part).toContain('December 31, 2026');
      expect(part).toContain('Year-end drive');
      expect(part).toContain('In memory of Ms. Alvarez');
    }
    expect(m.html as string).not.toMatch(/<img/i);
    await worker.stop();
  });

  it('formats amounts in the currency’s own decimals', () => {
    expect(formatAmount(5000, 'jpy')).toBe('¥5,000');
    expect(formatAmount(2500, 'EUR')).toBe('€25.00');
  });
});
