import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase, testDatabaseKinds } from '../../helpers/db.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger('info', stream), text: () => lines.join('') };
}

describe.each(testDatabaseKinds())('error logs of a failing query on %s', (kind) => {
  it('show neither the bound parameters nor a full e-mail address', async () => {
    const database = await createTestDatabase(kind);
    try {
      const email = 'ada.lovelace@example.org';
      await database.db.insertInto('admins').values({ email, password_hash: 'x' }).execute();
      const errors: unknown[] = [];
      // A unique violation (PostgreSQL repeats the value in `detail`) and a type error (the value
      // is in the message); PGlite also hangs the parameters on the error object.
      await database.db
        .insertInto('admins')
        .values({ email, password_hash: 'y' })
        .execute()
        .catch((e) => errors.push(e));
      await sql`select ${email}::int`.execute(database.db).catch((e) => errors.push(e));
      expect(errors).toHaveLength(2);
      const { log, text } = capture();
      for (const err of errors) log.error({ err, requestId: 'r1', path: '/api/x' }, 'unhandled error');
      log.warn({ err: (errors[0] as Error).message }, `gift for ${email} failed`);
      const out = text();
      expect(out).toContain('unhandled error');
      expect(out).toContain('a***@example.org');
      expect(out).not.toContain('ada.lovelace');
      expect(out).not.toMatch(/"params"|"parameters"|"queryOptions"/);
    } finally {
      await database.drop();
    }
  });
});
