import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { getOrgSettings } from '../settings/service.js';

export interface Organisation {
  name: string;
  /** IANA zone in which mails state dates (a receipt's date paid). */
  timeZone: string;
}

/**
 * The organisation as mails present it: the admin's Settings where set, else ORG_* from the
 * environment; an organisation that never named itself signs as "Groundswell".
 */
export async function organisation(db: Kysely<Database>, config: Pick<Config, 'org' | 'orgName'>): Promise<Organisation> {
  const s = await getOrgSettings(db, config);
  return { name: s.name || config.orgName, timeZone: s.timeZone };
}
