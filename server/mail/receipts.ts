import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * The receipt number of a payment: assigned the first time the receipt is produced (e.g. in the
 * transaction that queues the receipt mail), the same number every time after. Numbers come from
 * the receipts table's sequence, outside the money transaction's hot rows, so there is no
 * counter row for concurrent payments to queue on; they are unique, increasing and never reused.
 */
export async function receiptNumber(trx: Transaction<Database> | Kysely<Database>, paymentId: number, at: Date): Promise<number> {
  // Look first: an insert that loses ON CONFLICT still burns a sequence value, and a receipt
  // produced again (a redelivered webhook) should not leave a gap each time.
  const existing = await trx.selectFrom('receipts').select('number').where('payment_id', '=', paymentId).executeTakeFirst();
  if (existing) return existing.number;
  const inserted = await trx
    .insertInto('receipts')
    .values({ payment_id: paymentId, issued_at: at })
    .onConflict((oc) => oc.column('payment_id').doNothing())
    .returning('number')
    .executeTakeFirst();
  if (inserted) return inserted.number;
  // A concurrent transaction numbered it between our look and our insert.
  return (await trx.selectFrom('receipts').select('number').where('payment_id', '=', paymentId).executeTakeFirstOrThrow()).number;
}
