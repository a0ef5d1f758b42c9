import { Hono } from 'hono';
import type { AppDeps } from '../deps.js';
import { type AdminEnv, requireCsrfToken, requireSession, sameOriginOnly } from './auth.js';
import { adminsRoutes } from './routes/admins.js';
import { auditRoutes } from './routes/audit.js';
import { campaignRoutes } from './routes/campaigns.js';
import { donationRoutes } from './routes/donations.js';
import { erasureRoutes } from './routes/erasures.js';
import { healthRoutes } from './routes/health.js';
import { exportRoutes } from './routes/exports.js';
import { offlineGiftRoutes } from './routes/offline-gifts.js';
import { paceRoutes } from './routes/pace.js';
import { receiptRoutes } from './routes/receipts.js';
import { paymentsRoutes } from './routes/payments.js';
import { passwordResetRoutes } from './routes/password-resets.js';
import { invitationRoutes } from './routes/invitations.js';
import { outboxRoutes } from './outbox.js';
import { settingsRoutes } from './settings.js';
import { loginRoutes, sessionRoutes } from './routes/session.js';
import { statementAdminRoutes } from './routes/statements.js';
import { subscriberRoutes } from './routes/subscribers.js';
import { webhookEventRoutes } from './routes/webhook-events.js';
import { variantAdminRoutes } from '../variants/admin-routes.js';
import { signInLimits } from './sign-in-limits.js';

/**
 * /api/admin/*: JSON for the admin console, one file per resource under routes/. Everything but
 * login and invitations needs a session; the order of use() and route() below is the order
 * requests meet them. Each route names the role it needs (requireRole, requireRecentAuth in
 * auth.ts); tests/integration/admin/roles.test.ts holds every route to its role.
 */
export function adminRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  const limits = signInLimits(db);

  const app = new Hono<AdminEnv>();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('*', sameOriginOnly(config));
  app.route('/', loginRoutes(deps, limits));
  app.route('/', invitationRoutes(deps));
  app.route('/', passwordResetRoutes(deps));

  app.use('*', requireSession(db, config, clock));
  app.use('*', requireCsrfToken());

  return app
    .route('/', sessionRoutes(deps, limits))
    .route('/', adminsRoutes(deps))
    .route('/', campaignRoutes(deps))
    .route('/', paceRoutes(deps))
    .route('/', variantAdminRoutes(deps))
    .route('/', donationRoutes(deps))
    .route('/', offlineGiftRoutes(deps))
    .route('/', receiptRoutes(deps))
    .route('/', subscriberRoutes(deps))
    .route('/', auditRoutes(deps))
    .route('/', webhookEventRoutes(deps))
    .route('/', paymentsRoutes(deps))
    .route('/', statementAdminRoutes(deps))
    .route('/', erasureRoutes(deps))
    .route('/', healthRoutes(deps))
    .route('/', exportRoutes(deps))
    .route('/settings', settingsRoutes(deps))
    .route('/outbox', outboxRoutes(deps));
}

export type AdminApp = ReturnType<typeof adminRoutes>;
