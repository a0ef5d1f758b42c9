import type { Kysely } from 'kysely';
import type { TaxFacts } from '../../common/tax.js';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { getOrgSettings, taxFacts } from '../settings/service.js';

export interface Organisation {
  name: string;
  /** IANA zone in which mails state dates (a receipt's date paid). */
  timeZone: string;
  /** Postal address, lines separated by \n ('' when not set). */
  address: string;
  /** What receipts state about tax (common/tax.ts). */
  tax: TaxFacts;
  /** The owners' line at the foot of every mail ('' when not set). */
  footer: string;
  /** https URL of the logo above mails ('' when not set); mails read the same without it. */
  logoUrl: string;
}

/**
 * The organisation as mails present it: the admin's Settings where set, else ORG_* from the
 * environment; an organisation that never named itself signs as "Groundswell".
 */
export async function organisation(db: Kysely<Database>, config: Pick<Config, 'org' | 'orgName'>): Promise<Organisation> {
  const s = await getOrgSettings(db, config);
  return {
    name: s.name || config.orgName,
    timeZone: s.timeZone,
    address: s.address,
    tax: taxFacts(s, config.orgName),
    footer: s.footer,
    logoUrl: s.logoUrl,
  };
}
