import { type Kysely, sql } from 'kysely';

/**
 * Receipts and the organisation's tax status (SPEC §10, issue 10 items 2, 3).
 *
 * organisation gains what receipts and appeals state: the tax status the owners chose, the
 * fiscal sponsor's name and tax id (for that status), the legal text per language that receipts
 * print (JSON object language → text; a language without text uses the status's template),
 * a footer for every mail and a logo URL (mails stay readable without it). NULL = not set.
 *
 * receipt_statements: what the donor was last told about a payment (the receipt, then each
 * corrected notice): where it went, the amount, refunded, lost to disputes, voided, and how many
 * notices followed. Written when the receipt is queued (in the ledger's transaction that records
 * the payment); each ledger recompute compares the payment's facts with it and queues a corrected
 * notice when they differ. No row: no receipt is owed (no e-mail known). Its own table, not
 * columns of payments: only the ledger writes the money tables (STYLE 13), and this is the mail's
 * record. No foreign key, like receipts (0010). The receipt NUMBER is not here: the mail worker
 * assigns it (receipts, 0010) when the receipt is first produced.
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
  await db.schema
    .createTable('receipt_statements')
    .addColumn('payment_id', 'bigint', (c) => c.primaryKey())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('refunded', 'bigint', (c) => c.notNull())
    .addColumn('lost', 'bigint', (c) => c.notNull())
    .addColumn('voided', 'boolean', (c) => c.notNull())
    .addColumn('notices', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('receipt_statements').execute();
  await db.schema.alterTable('organisation').dropConstraint('organisation_tax_status').execute();
  for (const col of ['logo_url', 'footer', 'tax_texts', 'sponsor_tax_id', 'sponsor_name', 'tax_status']) {
    await db.schema.alterTable('organisation').dropColumn(col).execute();
  }
}
