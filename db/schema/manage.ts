import type { ColumnType } from 'kysely';

/** Secrets the app makes for itself when configuration gives none (migrations/0012_manage). */
export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ManageTables {
  app_secrets: AppSecretsTable;
}
