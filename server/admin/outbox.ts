import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { validationHook } from '../lib/validation.js';
import { outboxCounts } from '../mail/worker.js';
import { type AdminEnv, requireRole } from './auth.js';

const listQuery = z.strictObject({
  status: z.enum(['pending', 'sending', 'sent', 'failed', 'suppressed']).optional(),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a mail id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const idParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a mail id')
    .transform(Number),
});

/**
 * /api/admin/outbox: every mail, newest first, with its status, attempts and last error. Without
 * SMTP_URL this is where mail "arrives" (the built-in outbox, SPEC §10); with it, the sent log.
 * Mounted behind the admin session by server/admin/routes.ts.
 */
export function outboxRoutes(deps: Pick<AppDeps, 'db' | 'config'>) {
  const { db, config } = deps;
  // Mails hold donors' addresses and working unsubscribe/confirm links: editors and owners only.
  return new Hono<AdminEnv>()
    .use('*', requireRole('editor'))
    .get('/', zValidator('query', listQuery, validationHook), async (c) => {
      const { status, cursor, limit } = c.req.valid('query');
      let q = db
        .selectFrom('mail_outbox')
        .select([
          'id',
          'kind',
          'to_address',
          'status',
          'attempts',
          'next_attempt_at',
          'last_error',
          'transport',
          'subject',
          'created_at',
          'sent_at',
        ]);
      if (status) q = q.where('status', '=', status);
      if (cursor) q = q.where('id', '<', Number(cursor));
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const suppressions = await db
        .selectFrom('mail_suppressions')
        .select(['address', 'reason', 'created_at'])
        .orderBy('created_at', 'desc')
        .limit(100)
        .execute();
      return c.json({
        delivery: config.smtpUrl ? 'smtp' : 'outbox',
        counts: await outboxCounts(db),
        mails: page.map((r) => ({
          id: r.id,
          kind: r.kind,
          to: r.to_address,
          status: r.status,
          attempts: r.attempts,
          nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
          lastError: r.last_error,
          transport: r.transport,
          subject: r.subject,
          createdAt: r.created_at.toISOString(),
          sentAt: r.sent_at?.toISOString() ?? null,
        })),
        suppressions: suppressions.map((s) => ({ address: s.address, reason: s.reason, since: s.created_at.toISOString() })),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
      });
    })
    .get('/:id', zValidator('param', idParam, validationHook), async (c) => {
      const r = await db.selectFrom('mail_outbox').selectAll().where('id', '=', c.req.valid('param').id).executeTakeFirst();
      if (!r) throw notFound('Mail');
      return c.json({
        id: r.id,
        kind: r.kind,
        to: r.to_address,
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error,
        transport: r.transport,
        messageId: r.message_id,
        subject: r.subject,
        text: r.text_body,
        headers: r.headers ?? {},
        createdAt: r.created_at.toISOString(),
        sentAt: r.sent_at?.toISOString() ?? null,
      });
    })
    .get('/:id/html', zValidator('param', idParam, validationHook), async (c) => {
      const r = await db.selectFrom('mail_outbox').select('html_body').where('id', '=', c.req.valid('param').id).executeTakeFirst();
      if (!r?.html_body) throw notFound('Mail');
      // The mail's HTML as a mail client would show it: no scripts, no requests, nothing it could
      // do in the admin's origin (sandbox without allow-same-origin).
      return c.body(r.html_body, 200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        'X-Content-Type-Options': 'nosniff',
      });
    });
}
