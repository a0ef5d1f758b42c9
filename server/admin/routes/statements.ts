import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { listRuns, setStatus, startRun } from '../../statements/job.js';
import { renderStatementPdf } from '../../statements/pdf.js';
import { statementFor } from '../../statements/service.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';
import { donorStatementQuerySchema, startStatementsSchema, statementYearSchema } from '../people-schemas.js';

/**
 * /statements: annual giving statements. Owners send a year's statements to every donor (a
 * mailing, throttled and resumable: statements/job.ts) and see its progress; editors and owners
 * can download one donor's statement to answer a request (donor data: recent password).
 */
export function statementAdminRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const owner = [requireRole('owner'), requireRecentAuth()] as const;
  const yearParam = zValidator('param', statementYearSchema, validationHook);
  return new Hono<AdminEnv>()
    .get('/statements/runs', requireRole('owner'), async (c) => c.json({ runs: await listRuns(db) }))
    .post('/statements/runs', ...owner, zValidator('json', startStatementsSchema, validationHook), async (c) => {
      const run = await startRun(db, config, c.req.valid('json'), c.get('session').adminId, clock());
      return c.json({ run }, 201);
    })
    .post('/statements/runs/:year/pause', ...owner, yearParam, async (c) => {
      return c.json({ run: await setStatus(db, c.req.valid('param').year, 'paused', c.get('session').adminId, clock()) });
    })
    .post('/statements/runs/:year/resume', ...owner, yearParam, async (c) => {
      return c.json({ run: await setStatus(db, c.req.valid('param').year, 'running', c.get('session').adminId, clock()) });
    })
    .get(
      '/statements/:year/pdf',
      requireRole('editor'),
      requireRecentAuth(),
      yearParam,
      zValidator('query', donorStatementQuerySchema, validationHook),
      async (c) => {
        const { year } = c.req.valid('param');
        const statement = await statementFor(db, config, c.req.valid('query').email, year);
        const pdf = await renderStatementPdf(statement, { generatedAt: clock() });
        return c.body(new Uint8Array(pdf), 200, {
          'Content-Type': 'application/pdf',
          'Content-Disposition': `attachment; filename="giving-statement-${year}.pdf"`,
        });
      },
    );
}
