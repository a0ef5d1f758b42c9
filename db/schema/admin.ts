import type { ColumnType, Generated, Selectable } from 'kysely';

type Json = ColumnType<unknown, string | null, string | null>; // jsonb: write JSON.stringify(value)

/** Tables of the admin console beyond login (migrations/0003_admin). */
export interface AdminAuditLogTable {
  id: Generated<number>;
  admin_id: number | null;
  /** The acting admin's e-mail at the time: survives that admin's removal (0005). */
  admin_email: ColumnType<string | null, string | null | undefined, never>;
  action: string;
  entity: 'campaign' | 'gift' | 'admin' | 'organisation' | 'donor';
  entity_id: string;
  before: Json;
  after: Json;
  at: ColumnType<Date, Date | string | undefined, never>;
}

/** Single-use invitation links; only the SHA-256 of the token is stored (0005). */
export interface AdminInvitationsTable {
  token_hash: string;
  admin_id: number;
  created_by: number | null;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface AdminTables {
  admin_audit_log: AdminAuditLogTable;
  admin_invitations: AdminInvitationsTable;
}

export type AuditEntry = Selectable<AdminAuditLogTable>;
