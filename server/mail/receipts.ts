import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type QueuedMail, queueMail } from './queue.js';
import type { MailKind, MailKinds, ReceiptFigures } from './templates.js';

type Db = Transaction<Database> | Kysely<Database>;

/**
 * The receipt number of a payment: assigned the first time the receipt is produced (the mail
 * worker, when it renders the receipt or a notice citing it), the same number every time after.
 * Numbers come from the receipts table's sequence, outside the money transaction's hot rows, so
 * there is no counter row for concurrent payments to queue on; they are unique, increasing and
 * never reused.
 */
export async function receiptNumber(trx: Db, paymentId: number, at: Date): Promise<number> {
  // Look first: an insert that loses ON CONFLICT still burns a sequence value, and a receipt
  // produced again (a retried mail, a resend) should not leave a gap each time.
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

/** What a receipt states, read from the payment (p), its gift (g) and its campaign (c). The
 * ledger reads these columns in the statement that records the payment (recordPayment), so a
 * new payment's receipt costs no round trip of its own. */
export interface ReceiptSource {
  amount: number;
  currency: string;
  paid_at: Date;
  kind: string;
  gift_id: string;
  name: string | null;
  frequency: string;
  fee_amount: number;
  charge_amount: number;
  dedication_kind: 'honor' | 'memory' | null;
  dedication_name: string | null;
  title: string;
}

type ReceiptData = Omit<MailKinds['receipt'], 'number' | 'copy' | 'corrected' | 'manageUrl'>;

function receiptData(paymentId: number, r: ReceiptSource): ReceiptData {
  return {
    paymentId,
    giftId: r.gift_id,
    donorName: r.name,
    amount: r.amount,
    // The donor's help with the fees is part of what was charged; said only when this payment
    // charged exactly what the gift asked for (a renewal at a changed amount may not).
    coveredFees: r.fee_amount > 0 && r.amount === r.charge_amount ? r.fee_amount : 0,
    currency: r.currency,
    paidAt: r.paid_at.toISOString(),
    campaign: r.title,
    dedication: r.dedication_kind && r.dedication_name ? { kind: r.dedication_kind, name: r.dedication_name } : null,
    recurring: r.frequency === 'monthly',
    offline: r.kind === 'offline',
  };
}

/** The receipt's facts as the payment, its gift and campaign hold them now. */
async function receiptFacts(trx: Db, paymentId: number): Promise<ReceiptData> {
  const r = await trx
    .selectFrom('payments as p')
    .innerJoin('gifts as g', 'g.id', 'p.gift_id')
    .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
    .where('p.id', '=', paymentId)
    .select([
      'p.amount',
      'p.currency',
      'p.paid_at',
      'p.kind',
      'p.gift_id',
      'g.name',
      'g.frequency',
      'g.fee_amount',
      'g.charge_amount',
      'g.dedication_kind',
      'g.dedication_name',
      'c.title',
    ])
    .executeTakeFirstOrThrow();
  return receiptData(paymentId, r);
}

/** Where a mail caused by a ledger fact goes: inserted at once (queueMail), or gathered by the
 * ledger and inserted with its other last writes in one statement (mailsCte). */
export type MailSink = (mail: QueuedMail<MailKind>) => Promise<unknown> | undefined;

/** The address a receipt goes to (trimmed, lower case), or null when there is none to send to. */
export const receiptAddress = (to: string | null | undefined): string | null => (isEmail(to) ? to.trim().toLowerCase() : null);

/**
 * The receipt of a payment the caller has just recorded together with its receipt_statements
 * row (the ledger's recordPayment does both in one statement, see ReceiptSource): queues the
 * mail through `sink`, as queueReceipt would have.
 */
export function queueNewReceipt(
  sink: MailSink,
  paymentId: number,
  address: string,
  source: ReceiptSource,
  at: Date,
): Promise<unknown> | undefined {
  return sink({ kind: 'receipt', to: address, factKey: `receipt:${paymentId}`, data: receiptData(paymentId, source), at });
}

const isEmail = (s: string | null | undefined): s is string => !!s && /^[^\s@]+@[^\s@]+$/.test(s.trim());

/** What a payment's facts say, in the receipt's terms. */
export type ReceiptNow = ReceiptFigures;

/** What the donor was last told about a payment (receipt_statements), as the ledger reads it. */
export interface ReceiptTold extends ReceiptFigures {
  to: string;
  notices: number;
}

const sameFigures = (a: ReceiptFigures, b: ReceiptFigures) =>
  a.amount === b.amount && a.refunded === b.refunded && a.lost === b.lost && a.voided === b.voided;
const figuresOf = (s: ReceiptFigures): ReceiptFigures => ({ amount: s.amount, refunded: s.refunded, lost: s.lost, voided: s.voided });

/**
 * Queues the receipt of a paid payment in the caller's transaction (the ledger's, the one that
 * records the payment) and records what it states (receipt_statements), so later facts can be
 * compared with it. Once per payment: a payment that already has its statement queues nothing.
 * The number is not assigned here but when the worker first produces the mail. No e-mail, no
 * receipt (an offline gift without one). Returns whether a receipt was queued.
 */
export async function queueReceipt(
  trx: Transaction<Database>,
  paymentId: number,
  to: string | null | undefined,
  at: Date,
  sink: MailSink = (mail) => queueMail(trx, mail),
): Promise<boolean> {
  if (!isEmail(to)) return false;
  const address = to.trim().toLowerCase();
  const inserted = await trx
    .insertInto('receipt_statements')
    .columns(['payment_id', 'to_address', 'amount', 'refunded', 'lost', 'voided', 'notices', 'updated_at'])
    .expression((eb) =>
      eb
        .selectFrom('payments')
        .where('id', '=', paymentId)
        .select((e) => [
          'id',
          e.val(address).as('to_address'),
          'amount',
          e.lit(0).as('refunded'),
          e.lit(0).as('lost'),
          'voided',
          e.lit(0).as('notices'),
          e.val(at).as('updated_at'),
        ]),
    )
    .onConflict((oc) => oc.column('payment_id').doNothing())
    .returning('payment_id')
    .executeTakeFirst();
  if (!inserted) return false;
  await sink({ kind: 'receipt', to: address, factKey: `receipt:${paymentId}`, data: await receiptFacts(trx, paymentId), at });
  return true;
}

/**
 * Called by the ledger each time it recomputes a payment (its row locked, so calls for one
 * payment never interleave): when the facts no longer match what the donor was last told (a
 * refund, a lost dispute, either one reversed, an offline gift corrected or voided), queues a
 * corrected notice citing the receipt number, in the same transaction. The n-th notice of a
 * payment has its own fact key, so a redelivered event (which changes nothing) never queues one,
 * and facts delivered in any order end with the same final statement.
 */
export async function noteReceiptFacts(
  trx: Transaction<Database>,
  paymentId: number,
  told: ReceiptTold | null,
  now: ReceiptNow,
  at: Date,
  sink: MailSink = (mail) => queueMail(trx, mail),
): Promise<void> {
  if (!told || sameFigures(told, now)) return;
  const facts = await receiptFacts(trx, paymentId);
  const notices = told.notices + 1;
  await sink({
    kind: 'receipt.correction',
    to: told.to,
    factKey: `receipt.correction:${paymentId}:${notices}`,
    data: {
      paymentId,
      ordinal: notices,
      donorName: facts.donorName,
      currency: facts.currency,
      paidAt: facts.paidAt,
      campaign: facts.campaign,
      before: figuresOf(told),
      after: figuresOf(now),
      correctedAt: at.toISOString(),
    },
    at,
  });
  await trx
    .updateTable('receipt_statements')
    .set({ ...figuresOf(now), notices, updated_at: at })
    .where('payment_id', '=', paymentId)
    .execute();
}

/**
 * The admin's "resend the receipt": a copy of the receipt to the address it went to (else the
 * gift's), with the corrections since stated. One click per payment per minute queues one mail
 * (a double click is the same fact). Returns the address, or null when no e-mail is known.
 */
export async function queueReceiptCopy(
  trx: Transaction<Database>,
  paymentId: number,
  at: Date,
): Promise<{ to: string; queued: boolean } | null> {
  const p = await trx
    .selectFrom('payments as p')
    .innerJoin('gifts as g', 'g.id', 'p.gift_id')
    .where('p.id', '=', paymentId)
    .select(['g.email'])
    .executeTakeFirstOrThrow();
  // A payment that never had a receipt (its e-mail became known later): this copy is its receipt.
  if (await queueReceipt(trx, paymentId, p.email, at)) return { to: p.email!.trim().toLowerCase(), queued: true };
  const told = await trx.selectFrom('receipt_statements').selectAll().where('payment_id', '=', paymentId).forUpdate().executeTakeFirst();
  if (!told) return null;
  const queued = await queueMail(trx, {
    kind: 'receipt',
    to: told.to_address,
    factKey: `receipt.copy:${paymentId}:${Math.floor(at.getTime() / 60_000)}`,
    data: {
      ...(await receiptFacts(trx, paymentId)),
      copy: true,
      // Where notices corrected the receipt since, the copy states the figures they ended at.
      corrected: told.notices > 0 ? figuresOf(told) : null,
    },
    at,
  });
  return { to: told.to_address, queued };
}
