import { type Kysely, sql } from 'kysely';

/**
 * Durable e-mail (SPEC §10) and the digest's double opt-in.
 *
 * mail_outbox: one row per fact that causes a mail, inserted in the same transaction as the fact
 * (queueMail). fact_key is unique for ever, so a redelivered webhook or a repeated action can
 * never queue a second mail for the same fact. Workers claim due rows with FOR UPDATE SKIP LOCKED
 * and hold a lease (lease_until); a worker that dies mid-send loses its lease and another worker
 * retries the row. subject/text/html are filled when the mail is rendered, so the admin sees what
 * went out (or what sits in the built-in outbox when SMTP_URL is unset).
 *
 * mail_suppressions: addresses a server refused permanently (5xx on RCPT TO); later mails to
 * them are not attempted but recorded as suppressed.
 *
 * receipts: the receipt number of each paid payment, assigned once (unique payment_id) when the
 * receipt is first produced, from a sequence (unique, increasing, never reused; a rolled-back
 * transaction may leave a gap, which receipt numbering allows). No foreign key to payments: the
 * ledger owns that table and its shape; the ledger passes its payment id.
 *
 * digest_subscribers gains a status: only 'confirmed' rows are subscribers. Rows from before this
 * migration never confirmed, so they start as 'pending'. digest_tokens holds only SHA-256 hashes
 * of the single-purpose, expiring tokens sent by mail.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('fact_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lease_until', 'timestamptz')
    .addColumn('claimed_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('transport', 'text')
    .addColumn('message_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .addColumn('headers', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addCheckConstraint('mail_outbox_status', sql`status in ('pending', 'sending', 'sent', 'failed', 'suppressed')`)
    .addCheckConstraint('mail_outbox_to_lower', sql`to_address = lower(to_address)`)
    .execute();
  // The worker's claim: due pending rows and expired leases, oldest first.
  await db.schema
    .createIndex('mail_outbox_due')
    .on('mail_outbox')
    .columns(['next_attempt_at', 'id'])
    .where(sql.ref('status'), 'in', sql`('pending', 'sending')`)
    .execute();

  await db.schema
    .createTable('mail_suppressions')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('mail_suppressions_lower', sql`address = lower(address)`)
    .execute();

  await db.schema
    .createTable('receipts')
    .addColumn('number', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .alterTable('digest_subscribers')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .execute();
  await db.schema.alterTable('digest_subscribers').addColumn('confirmed_at', 'timestamptz').execute();
  await db.schema.alterTable('digest_subscribers').addColumn('unsubscribed_at', 'timestamptz').execute();
  await db.schema.alterTable('digest_subscribers').addColumn('source_page', 'text').execute();
  await db.schema
    .alterTable('digest_subscribers')
    .addCheckConstraint('digest_subscribers_status', sql`status in ('pending', 'confirmed', 'unsubscribed')`)
    .execute();

  await db.schema
    .createTable('digest_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'integer', (c) => c.notNull().references('digest_subscribers.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('digest_tokens_purpose', sql`purpose in ('confirm', 'unsubscribe')`)
    .execute();
  await db.schema.createIndex('digest_tokens_subscriber').on('digest_tokens').column('subscriber_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('digest_tokens').execute();
  await db.schema.alterTable('digest_subscribers').dropConstraint('digest_subscribers_status').execute();
  for (const col of ['source_page', 'unsubscribed_at', 'confirmed_at', 'status']) {
    await db.schema.alterTable('digest_subscribers').dropColumn(col).execute();
  }
  await db.schema.dropTable('receipts').execute();
  await db.schema.dropTable('mail_suppressions').execute();
  await db.schema.dropTable('mail_outbox').execute();
}
