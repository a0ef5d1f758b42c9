import { type Kysely, sql } from 'kysely';

/**
 * - campaigns.allowed_origins: the sites allowed to embed the campaign and have donors returned
 *   to them after Checkout (origins like https://news.example.org). PUBLIC_URL's own origin is
 *   always allowed and never stored.
 * - gifts.show_on_wall: whether a gift appears on the public donor wall. Checkout gifts keep
 *   showing (the donor chose a name or "anonymous" on the form); offline gifts default to hidden,
 *   the admin opts each one in, and those entered before this migration are hidden too: their
 *   donors never agreed to be published.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('campaigns')
    .addColumn('allowed_origins', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema
    .alterTable('gifts')
    .addColumn('show_on_wall', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.updateTable('gifts').set({ show_on_wall: false }).where('source', '=', 'offline').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('gifts').dropColumn('show_on_wall').execute();
  await db.schema.alterTable('campaigns').dropColumn('allowed_origins').execute();
}
