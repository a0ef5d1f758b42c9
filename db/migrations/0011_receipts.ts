import { type Kysely, sql } from 'kysely';

/**
 * Receipts and the organisation's tax status (SPEC §10, issue 10 items 2, 3).
 *
 * organisation gains what receipts and appeals state: the tax status the owners chose, the
 * fiscal sponsor's name and tax id (for that status), the legal text per language that receipts
 * print (JSON object language → text; a language without text uses the status's template),
 * a footer for every mail and a logo URL (mails stay readable without it). NULL = not set.
 *
 * payments.receipt_state: what the donor was last told about this payment, as JSON
 * {to, amount, refunded, lost, voided, notices}: set when the receipt is queued (in the same
 * transaction as the payment), then each ledger recompute compares the payment's facts with it
 * and queues a corrected notice when they differ (a refund, a lost dispute, or their reversal).
 * NULL: no receipt is owed (no e-mail known). The receipt NUMBER is not here: the mail worker
 * assigns it (receipts table, 0010) when the receipt is first produced.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('organisation')
    .addColumn('tax_status', 'text')
    .addColumn('sponsor_name', 'text')
    .addColumn('sponsor_tax_id', 'text')
    .addColumn('tax_texts', 'jsonb')
    .addColumn('footer', 'text')
    .addColumn('logo_url', 'text')
    .execute();
  await db.schema
    .alterTable('organisation')
    .addCheckConstraint(
      'organisation_tax_status',
      sql`tax_status is null or tax_status in ('unset', 'us_501c3', 'fiscal_sponsor', 'not_deductible', 'other')`,
    )
    .execute();
  await db.schema.alterTable('payments').addColumn('receipt_state', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('receipt_state').execute();
  await db.schema.alterTable('organisation').dropConstraint('organisation_tax_status').execute();
  for (const col of ['logo_url', 'footer', 'tax_texts', 'sponsor_tax_id', 'sponsor_name', 'tax_status']) {
    await db.schema.alterTable('organisation').dropColumn(col).execute();
  }
}
