import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { AppError, notFound } from '../../errors.js';
import { validationHook } from '../../lib/validation.js';
import { queueReceiptCopy } from '../../mail/receipts.js';
import { audit } from '../audit.js';
import { type AdminEnv, requireRole } from '../auth.js';
import { giftIdSchema } from '../schemas.js';

const resendSchema = z.strictObject({
  paymentId: z
    .number({ error: 'must be a payment id' })
    .int()
    .positive()
    .max(2 ** 53 - 1),
});

/**
 * Receipts of a gift: an editor resends one (a donor lost it). The copy goes to the address the
 * receipt went to, never to one typed here: the console cannot be used to mail a donor's data to
 * someone else. Audited with the payment it was for.
 */
export function receiptRoutes(deps: Pick<AppDeps, 'db' | 'clock'>) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>().post(
    '/donations/:giftId/receipts',
    requireRole('editor'),
    zValidator('param', giftIdSchema, validationHook),
    zValidator('json', resendSchema, validationHook),
    async (c) => {
      const { giftId } = c.req.valid('param');
      const { paymentId } = c.req.valid('json');
      const now = clock();
      const result = await db.transaction().execute(async (trx) => {
        const payment = await trx
          .selectFrom('payments')
          .where('id', '=', paymentId)
          .where('gift_id', '=', giftId)
          .select('id')
          .executeTakeFirst();
        if (!payment) throw notFound('Payment of this donation');
        const copy = await queueReceiptCopy(trx, paymentId, now);
        if (!copy) throw new AppError('no_email', 409, 'This donation has no e-mail address to send a receipt to');
        if (copy.queued)
          await audit(trx, {
            adminId: c.get('session').adminId,
            action: 'receipt.resend',
            entity: 'gift',
            entityId: giftId,
            after: { paymentId, to: copy.to },
            at: now,
          });
        return copy;
      });
      return c.json(result, 202);
    },
  );
}
