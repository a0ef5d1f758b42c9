import { Hono } from 'hono';
import { databaseKind } from '../../backup/catalog.js';
import { exportToStream } from '../../backup/export.js';
import { modeOf } from '../../backup/format.js';
import type { AppDeps } from '../../deps.js';
import { audit } from '../audit.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';

/**
 * /export: the organisation's whole data as the same JSON Lines file as `npm run export` (SPEC
 * §12), for owners with a password entered in the last 10 minutes. Never with credentials: admin
 * password hashes and signing keys stay on the server (the CLI's --with-credentials is for a host
 * move by someone with a shell). Audited with the file's checksum and row count, so an owner can
 * later tell which download a file is.
 */
export function exportRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  return new Hono<AdminEnv>().get('/export', requireRole('owner'), requireRecentAuth(), async (c) => {
    const now = clock();
    const { header, stream } = await exportToStream(db, {
      ...modeOf(config),
      withCredentials: false,
      database: await databaseKind(db),
      now,
    });
    try {
      await audit(db, {
        adminId: c.get('session').adminId,
        action: 'organisation.export',
        entity: 'organisation',
        entityId: 1,
        after: { rows: header.tables.reduce((n, t) => n + t.rows, 0), tables: header.tables.length, sha256: header.sha256 },
        at: now,
      });
    } catch (err) {
      await stream.cancel();
      throw err;
    }
    const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-');
    return c.body(stream, 200, {
      'Content-Type': 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="groundswell-export-${stamp}Z.jsonl"`,
      'X-Export-SHA256': header.sha256,
    });
  });
}
