import type { Kysely, Transaction } from 'kysely';
import type { OrgSettings } from '../../common/api.js';
import { fromZonedInput } from '../../common/time.js';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import type { UpdateSettingsInput } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The organisation as everyone sees it: the settings row where a field is set, else the ORG_*
 * default from the environment (SPEC §3), else an empty name and UTC.
 */
export async function getOrgSettings(db: Db, config: Pick<Config, 'org'>): Promise<OrgSettings> {
  const row = await db.selectFrom('organisation').selectAll().where('id', '=', 1).executeTakeFirst();
  return {
    name: row?.name ?? config.org.name,
    address: row?.address ?? config.org.address,
    timeZone: row?.time_zone ?? config.org.timeZone,
    taxId: row?.tax_id ?? config.org.taxId,
  };
}

/** The zone in which calendar days are counted (daily chart, statements). */
export async function orgTimeZone(db: Db, config: Pick<Config, 'org'>): Promise<string> {
  return (await getOrgSettings(db, config)).timeZone;
}

/** Saves the fields given; an empty string means "back to the environment default". */
export async function updateOrgSettings(db: Db, input: UpdateSettingsInput, now: Date): Promise<void> {
  const v = (s: string | undefined) => (s === undefined ? undefined : s === '' ? null : s);
  const row = {
    ...(input.name !== undefined && { name: v(input.name) }),
    ...(input.address !== undefined && { address: v(input.address) }),
    ...(input.timeZone !== undefined && { time_zone: v(input.timeZone) }),
    ...(input.taxId !== undefined && { tax_id: v(input.taxId) }),
    updated_at: now,
  };
  await db
    .insertInto('organisation')
    .values({ id: 1, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/** A calendar date given for something that happened (an offline gift): the start of that day in
 * the organisation's zone; an instant stays what it is. */
export function instantOf(at: { instant: Date } | { day: string }, timeZone: string): Date {
  if ('instant' in at) return at.instant;
  return new Date(fromZonedInput(at.day, timeZone) ?? `${at.day}T00:00:00Z`);
}
