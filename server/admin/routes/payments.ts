import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { PaymentsStatus } from '../../../common/api.js';
import { getCampaign } from '../../campaigns/service.js';
import { slugSchema } from '../../campaigns/schemas.js';
import type { AppDeps } from '../../deps.js';
import { breakerHistory, ensureBreakerRow, readBreaker, runProbe, setPledgeMode } from '../../giving/breaker.js';
import { invitePledgers, listPledges, pledgeSummary } from '../../giving/pledges.js';
import { validationHook } from '../../lib/validation.js';
import { audit, diff } from '../audit.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';

const givingSettings = z
  .strictObject({
    pledgeMode: z.boolean(),
    /** Bank transfer, cheque, another processor: plain text, shown on the donate page and in the dialog. */
    otherWays: z
      .string()
      .trim()
      .max(2000)
      .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/.test(s), {
        message: 'contains control or direction-override characters',
      }),
    pledgeRetentionDays: z.number().int().min(1).max(730),
  })
  .partial();

/**
 * /payments: the breaker's state and history, pledge mode and the "other ways to give" (owners),
 * a probe on demand (editors); /pledges: pledges apart from gifts, and the one e-mail (owners).
 */
export function paymentsRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>()
    .get('/payments', async (c) => {
      const [state, history, alerts] = await Promise.all([
        readBreaker(db),
        breakerHistory(db),
        db
          .selectFrom('admin_alerts as a')
          .leftJoin('campaigns as c', 'c.id', 'a.campaign_id')
          .select(['a.id', 'a.kind', 'a.message', 'a.created_at', 'c.slug'])
          .orderBy('a.id', 'desc')
          .limit(20)
          .execute(),
      ]);
      const status: PaymentsStatus = {
        ...state,
        history,
        alerts: alerts.map((a) => ({ id: a.id, kind: a.kind, campaign: a.slug, message: a.message, at: a.created_at.toISOString() })),
      };
      return c.json(status);
    })
    .patch('/payments', requireRole('owner'), requireRecentAuth(), zValidator('json', givingSettings, validationHook), async (c) => {
      const input = c.req.valid('json');
      const adminId = c.get('session').adminId;
      const before = await readBreaker(db);
      if (input.otherWays !== undefined || input.pledgeRetentionDays !== undefined) {
        await ensureBreakerRow(db);
        await db
          .updateTable('payments_breaker')
          .set({
            ...(input.otherWays !== undefined && { other_ways: input.otherWays }),
            ...(input.pledgeRetentionDays !== undefined && { pledge_retention_days: input.pledgeRetentionDays }),
          })
          .where('id', '=', 1)
          .execute();
        await deps.bus.notify(db, 0);
      }
      if (input.pledgeMode !== undefined) await setPledgeMode(deps, input.pledgeMode, adminId);
      const after = await readBreaker(db);
      const pick = (s: typeof before) => ({ pledgeMode: s.pledgeMode, otherWays: s.otherWays, pledgeRetentionDays: s.pledgeRetentionDays });
      const change = diff(pick(before), pick(after));
      if (change) await audit(db, { adminId, action: 'payments.update', entity: 'organisation', entityId: 1, ...change, at: clock() });
      return c.json(after);
    })
    .post('/payments/probe', requireRole('editor'), async (c) => {
      const outcome = await runProbe(deps, { force: true });
      return c.json({ outcome, ...(await readBreaker(db)) });
    })
    .get('/pledges', zValidator('query', z.strictObject({ campaign: slugSchema.optional() }), validationHook), async (c) => {
      const slug = c.req.valid('query').campaign;
      const campaign = slug ? await getCampaign(db, slug) : undefined;
      return c.json({
        pledges: await listPledges(db, campaign?.id),
        ...(campaign && { summary: await pledgeSummary(db, campaign.id) }),
      });
    })
    .post('/pledges/invitations', requireRole('owner'), async (c) => {
      const result = await invitePledgers(deps);
      await audit(db, {
        adminId: c.get('session').adminId,
        action: 'pledges.invite',
        entity: 'organisation',
        entityId: 1,
        after: { queued: result.queued },
        at: clock(),
      });
      return c.json(result);
    });
}
