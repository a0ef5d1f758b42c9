import { type Kysely, sql } from 'kysely';
import { readCatalog } from '../../../server/backup/catalog.js';
import { createLogger } from '../../../server/logger.js';
import { receiptNumber } from '../../../server/mail/receipts.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import type { TestContext } from '../../helpers/app.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, donate, signIn } from '../admin/helpers.js';

/**
 * A history like a real organisation's, made through the front door: one-time and monthly
 * gifts (a renewal), a partial and a full refund, a lost and an open dispute, an offline gift,
 * a digest sign-up, organisation settings and campaign edits (audit rows), receipts with a
 * burnt number, and the mails they queued.
 */
export async function makeHistory(ctx: TestContext): Promise<{ owner: AdminClient; slugs: string[] }> {
  const owner = await signIn(ctx);
  const slugs = ['spring', 'winter'];
  await makeCampaign(ctx.db, { slug: 'spring', match: { ratio: { ppm: 500_000 }, cap: 100_000 } });
  // A frequency cap (migrations/0021) travels with the campaign row.
  await makeCampaign(ctx.db, { slug: 'winter', currency: 'EUR', frequency: { impressions: 3, days: 7 } });
  const ada = await donate(ctx, 'spring', { amount: 2500, email: 'ada@example.org', name: 'Ada', comment: 'Ünïcödé "quotes" \\ ✓' });
  const bo = await donate(ctx, 'spring', { amount: 4000, email: 'bo@example.org', name: 'Bo', coverFees: true });
  const cy = await donate(ctx, 'spring', { amount: 3000, email: 'cy@example.org' });
  const di = await donate(ctx, 'spring', { amount: 6000, email: 'di@example.org' });
  const mo = await donate(ctx, 'spring', { amount: 1500, frequency: 'monthly', email: 'mo@example.org', name: 'Mo' });
  const eu = await donate(ctx, 'winter', { amount: 5000, email: 'ADA@example.org' });
  await ctx.emulator.renewSubscription(mo.subscription!);
  await ctx.emulator.refund(bo.paymentIntent, 1000);
  await ctx.emulator.refund(cy.paymentIntent);
  const lost = await ctx.emulator.dispute(di.paymentIntent);
  await ctx.emulator.closeDispute(lost, 'lost');
  await ctx.emulator.dispute(eu.paymentIntent, { amount: 2000 });
  await ctx.emulator.flush();
  void ada;

  const offline = await owner.req('/campaigns/winter/offline-donations', {
    method: 'POST',
    body: { amount: 12_345, receivedAt: '2026-12-01', name: 'Parish hall', note: 'Cheque #7' },
  });
  if (offline.status >= 300) throw new Error(`offline gift: ${offline.status} ${await offline.text()}`);
  // A copy variant and funnel counters (issue 14): the organisation's data too.
  const variant = await owner.req('/campaigns/spring/variants', { method: 'POST', body: { name: 'Urgent', headline: 'Three days left' } });
  if (variant.status >= 300) throw new Error(`variant: ${variant.status} ${await variant.text()}`);
  const beacon = await ctx.app.request('/api/campaigns/spring/events', {
    method: 'POST',
    body: JSON.stringify({ events: [{ type: 'impression', variant: null, count: 7 }] }),
    headers: { 'content-type': 'text/plain', origin: new URL(ctx.config.publicUrl).origin },
  });
  if (beacon.status !== 204) throw new Error(`beacon: ${beacon.status} ${await beacon.text()}`);
  const edit = await owner.req('/campaigns/spring', { method: 'PATCH', body: { title: 'Spring appeal' } });
  if (edit.status >= 300) throw new Error(`campaign edit: ${edit.status}`);
  const settings = await owner.req('/settings', { method: 'PATCH', body: { name: 'The Riverside Ledger', timeZone: 'Europe/Paris' } });
  if (settings.status >= 300) throw new Error(`settings: ${settings.status} ${await settings.text()}`);
  await ctx.app.request('/api/digest/subscribe', {
    method: 'POST',
    body: JSON.stringify({ email: 'Reader@Example.org', consent: true }),
    headers: { 'content-type': 'application/json' },
  });

  // A receipt for every payment, and one number burnt by a rolled-back transaction (allowed
  // gaps): the next number after an import must still be a new one.
  const payments = await ctx.db.selectFrom('payments').select('id').orderBy('id').execute();
  for (const p of payments) await receiptNumber(ctx.db, p.id, ctx.clock());
  await ctx.db
    .transaction()
    .execute(async (trx) => {
      await receiptNumber(trx, 999_999, ctx.clock());
      throw new Error('rolled back');
    })
    .catch(() => undefined);
  await createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') }).runOnce();
  return { owner, slugs };
}

/** Every exported table's rows in primary-key order, as the database prints them. */
export async function tableContents(db: Kysely<any>, opts: { withoutCredentials?: boolean } = {}): Promise<Record<string, string[]>> {
  const catalog = await readCatalog(db, { withCredentials: !opts.withoutCredentials });
  const out: Record<string, string[]> = {};
  await db.transaction().execute(async (trx) => {
    await sql`set local timezone = 'UTC'`.execute(trx);
    for (const t of catalog.tables) {
      const cols = t.columns.filter((c) => !t.omittedColumns.includes(c));
      const order = t.primaryKey.length ? t.primaryKey : cols;
      const r = await sql<{
        j: string;
      }>`select row_to_json(x)::text as j from (select ${sql.join(cols.map((c) => sql.ref(c)))} from ${sql.table(t.name)} order by ${sql.join(order.map((c) => sql.ref(c)))}) x`.execute(
        trx,
      );
      out[t.name] = t.rowsOmitted ? [] : r.rows.map((x) => x.j);
    }
  });
  return out;
}
