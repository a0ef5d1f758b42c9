import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { hashPassword } from './admin/passwords.js';
import { createCampaign } from './campaigns/service.js';
import type { Config } from './config.js';

export const DEMO_SLUG = 'year-end';

/** A demo campaign on an empty database, so a newcomer sees the banner on first start. */
export async function seedDemoCampaign(db: Kysely<Database>, now: Date): Promise<boolean> {
  const any = await db.selectFrom('campaigns').select('id').limit(1).executeTakeFirst();
  if (any) return false;
  const year = now.getUTCFullYear();
  await createCampaign(db, {
    slug: DEMO_SLUG,
    title: 'Year-end fundraiser',
    headline: 'Urgent End Of Year Fundraising Campaign',
    message: 'Online donations are back! Keep independent media alive.',
    currency: 'USD',
    goal: 5_000_000,
    startsAt: new Date(Date.UTC(year, 10, 1)),
    endsAt: new Date(Date.UTC(year, 11, 31, 23, 59, 59)),
    presets: [1000, 2500, 5000, 10000],
    feeRate: { ppm: 29_000 }, // 2.9 %
    feeFixed: 30,
    match: { ratio: { ppm: 1_000_000 }, cap: 1_000_000 },
  });
  return true;
}

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD set: that admin exists with that password. Unset and no admin yet:
 * one is created with a random password that is printed once at start-up.
 */
export async function seedAdmin(db: Kysely<Database>, config: Config): Promise<{ email: string; password?: string } | null> {
  if (config.adminEmail && config.adminPassword) {
    const email = config.adminEmail.toLowerCase();
    const password_hash = await hashPassword(config.adminPassword);
    await db
      .insertInto('admins')
      .values({ email, password_hash })
      .onConflict((oc) => oc.column('email').doUpdateSet({ password_hash }))
      .execute();
    return { email };
  }
  const any = await db.selectFrom('admins').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  const email = 'admin@example.com';
  const password = randomBytes(12).toString('base64url');
  await db
    .insertInto('admins')
    .values({ email, password_hash: await hashPassword(password) })
    .execute();
  return { email, password };
}
