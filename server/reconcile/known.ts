import type { Kysely } from 'kysely';
import type { Database, GiftStatus } from '../../db/schema.js';

/**
 * What the ledger already holds, read by reconciliation to tell which Stripe objects are
 * missing. Reads only: anything missing is recorded through the webhook handlers and the ledger.
 */
export function knownFacts(db: Kysely<Database>) {
  return {
    async giftOfSession(sessionId: string): Promise<{ id: string; status: GiftStatus } | undefined> {
      return db.selectFrom('gifts').where('checkout_session_id', '=', sessionId).select(['id', 'status']).executeTakeFirst();
    },
    async payment(sourceKey: string) {
      return db.selectFrom('payments').where('source_key', '=', sourceKey).select(['id', 'payment_intent_id']).executeTakeFirst();
    },
    /** A monthly gift of ours knows this subscription (or is named by the invoice's metadata). */
    async subscriptionIsOurs(subscriptionId: string, hint: string | null | undefined): Promise<boolean> {
      const uuid = hint && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(hint) ? hint : null;
      const row = await db
        .selectFrom('gifts')
        .where('source', '=', 'stripe')
        .where((eb) =>
          eb.or([
            eb('subscription_id', '=', subscriptionId),
            ...(uuid ? [eb.and([eb('id', '=', uuid), eb('frequency', '=', 'monthly'), eb('subscription_id', 'is', null)])] : []),
          ]),
        )
        .select('id')
        .executeTakeFirst();
      return row !== undefined;
    },
    /** A payment of ours was made with this PaymentIntent. */
    async paymentIntentIsOurs(paymentIntentId: string): Promise<boolean> {
      const direct = await db.selectFrom('payments').where('payment_intent_id', '=', paymentIntentId).select('id').executeTakeFirst();
      if (direct) return true;
      const linked = await db
        .selectFrom('stripe_invoice_payments')
        .where('payment_intent_id', '=', paymentIntentId)
        .select('invoice_id')
        .executeTakeFirst();
      return linked !== undefined;
    },
    async refund(refundId: string) {
      return db.selectFrom('stripe_refunds').where('refund_id', '=', refundId).select(['status', 'amount']).executeTakeFirst();
    },
    async dispute(disputeId: string) {
      return db.selectFrom('stripe_disputes').where('dispute_id', '=', disputeId).select(['status', 'amount']).executeTakeFirst();
    },
    async balanceTransactionKnown(id: string): Promise<boolean> {
      const row = await db.selectFrom('stripe_balance_transactions').where('id', '=', id).select('id').executeTakeFirst();
      return row !== undefined;
    },
    async payout(id: string) {
      return db.selectFrom('stripe_payouts').where('id', '=', id).select(['status']).executeTakeFirst();
    },
  };
}

export type KnownFacts = ReturnType<typeof knownFacts>;
