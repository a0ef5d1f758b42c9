/** Tables of the admin console beyond login (audit log, ...; see migrations/0003_*). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AdminTables {}
