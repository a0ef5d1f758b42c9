import { sql } from 'kysely';
import type { Ledger } from './ledger.js';

/**
 * The books (SPEC §12): for each Stripe payment, Stripe's fee, the net amount and the payout it
 * went out in, so a treasurer can match bank deposits. These are facts keyed by Stripe's own ids
 * (balance transaction, payout), written in the ledger's transaction like every other fact; they
 * never change what a campaign raised (a gift counts what the donor gave, fees are the
 * organisation's cost). Any order and any repetition converge: a row only ever gains what it
 * did not know (its PaymentIntent, its payout), and a payout's newer state wins.
 */

export interface BalanceFact {
  id: string;
  type: string;
  reportingCategory: string | null;
  sourceId: string | null;
  /** The PaymentIntent whose charge, refund or dispute this is (null for payouts, fees...). */
  paymentIntentId: string | null;
  currency: string;
  amount: number;
  fee: number;
  net: number;
  created: number;
  availableOn: number | null;
  payoutId?: string | null;
}

export interface PayoutFact {
  id: string;
  amount: number;
  currency: string;
  status: string;
  arrivalDate: number;
  created: number;
  /** Stripe's time of this state (the event's created, or now for a re-read). */
  asOf: number;
}

/** Records a balance transaction; true when something new was learnt. */
export async function recordBalanceTransaction(ledger: Ledger, t: BalanceFact): Promise<boolean> {
  const row = await ledger.trx
    .insertInto('stripe_balance_transactions')
    .values({
      id: t.id,
      type: t.type,
      reporting_category: t.reportingCategory,
      source_id: t.sourceId,
      payment_intent_id: t.paymentIntentId,
      currency: t.currency.toUpperCase(),
      amount: t.amount,
      fee: t.fee,
      net: t.net,
      created: t.created,
      available_on: t.availableOn,
      payout_id: t.payoutId ?? null,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({
          payment_intent_id: sql`coalesce(stripe_balance_transactions.payment_intent_id, excluded.payment_intent_id)`,
          payout_id: sql`coalesce(stripe_balance_transactions.payout_id, excluded.payout_id)`,
        })
        .where((eb) =>
          eb.or([
            eb.and([
              eb('stripe_balance_transactions.payment_intent_id', 'is', null),
              eb(sql.ref('excluded.payment_intent_id'), 'is not', null),
            ]),
            eb.and([eb('stripe_balance_transactions.payout_id', 'is', null), eb(sql.ref('excluded.payout_id'), 'is not', null)]),
          ]),
        ),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Records a payout's state; true when it was new or newer than what we held. */
export async function recordPayout(ledger: Ledger, p: PayoutFact): Promise<boolean> {
  const row = await ledger.trx
    .insertInto('stripe_payouts')
    .values({
      id: p.id,
      amount: p.amount,
      currency: p.currency.toUpperCase(),
      status: p.status,
      arrival_date: p.arrivalDate,
      created: p.created,
      as_of: p.asOf,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ status: p.status, amount: p.amount, arrival_date: p.arrivalDate, as_of: p.asOf })
        .where((eb) =>
          eb.and([
            eb('stripe_payouts.as_of', '<=', p.asOf),
            eb.or([
              eb('stripe_payouts.status', '<>', p.status),
              eb('stripe_payouts.amount', '<>', p.amount),
              eb('stripe_payouts.arrival_date', '<>', p.arrivalDate),
            ]),
          ]),
        ),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
