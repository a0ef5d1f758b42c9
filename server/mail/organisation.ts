import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';

export interface Organisation {
  name: string;
  /** IANA zone in which mails state dates (a receipt's date paid). */
  timeZone: string;
}

/**
 * The organisation as mails present it. One function so that, once organisation settings live in
 * the database, only this body changes (it already takes the database for that reason).
 */
export async function organisation(_db: Kysely<Database>, config: Pick<Config, 'orgName'>): Promise<Organisation> {
  return { name: config.orgName, timeZone: 'UTC' };
}
