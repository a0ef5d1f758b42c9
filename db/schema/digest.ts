/** Tables of the daily-digest sign-up (owned by the web/demo-page work; see migrations/0002_*). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DigestTables {}
