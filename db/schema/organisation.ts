import type { Generated } from 'kysely';

/** One row (id = 1); NULL columns fall back to the ORG_* environment defaults. */
export interface OrganisationTable {
  id: Generated<number>;
  name: string | null;
  address: string | null;
  time_zone: string | null;
  tax_id: string | null;
  updated_at: Generated<Date>;
}

export interface OrganisationTables {
  organisation: OrganisationTable;
}
