import type { ColumnType, Generated } from 'kysely';

/** One row (id = 1); NULL columns fall back to the ORG_* environment defaults. */
export interface OrganisationTable {
  id: Generated<number>;
  name: string | null;
  address: string | null;
  time_zone: string | null;
  tax_id: string | null;
  tax_status: 'unset' | 'us_501c3' | 'fiscal_sponsor' | 'not_deductible' | 'other' | null;
  sponsor_name: string | null;
  sponsor_tax_id: string | null;
  /** jsonb: language → legal text (write JSON.stringify). */
  tax_texts: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  footer: string | null;
  logo_url: string | null;
  updated_at: Generated<Date>;
}

export interface OrganisationTables {
  organisation: OrganisationTable;
}
