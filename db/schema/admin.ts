import type { ColumnType, Generated, Selectable } from 'kysely';

type Json = ColumnType<unknown, string | null, string | null>; // jsonb: write JSON.stringify(value)

/** Tables of the admin console beyond login (migrations/0003_admin). */
export interface AdminAuditLogTable {
  id: Generated<number>;
  admin_id: number | null;
  action: string;
  entity: 'campaign' | 'gift' | 'admin' | 'organisation';
  entity_id: string;
  before: Json;
  after: Json;
  at: ColumnType<Date, Date | string | undefined, never>;
}

export interface AdminTables {
  admin_audit_log: AdminAuditLogTable;
}

export type AuditEntry = Selectable<AdminAuditLogTable>;
