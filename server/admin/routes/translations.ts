import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { getCampaign } from '../../campaigns/service.js';
import type { AppDeps } from '../../deps.js';
import { notFound } from '../../errors.js';
import { deleteTranslation, listTranslations, localeParam, putTranslation, translationSchema } from '../../languages/translations.js';
import { validationHook } from '../../lib/validation.js';
import { audit } from '../audit.js';
import { type AdminEnv, requireRole } from '../auth.js';
import { slugParam } from './campaigns.js';

const slugLocale = slugParam.extend(localeParam.shape);

/**
 * /campaigns/:slug/translations: the campaign's copy per language (SPEC §13). Everyone reads;
 * editors and owners write, each change audited; a write refreshes every instance's progress
 * cache (the public `copy`) through the bus, like any campaign edit.
 */
export function translationRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>()
    .get('/campaigns/:slug/translations', zValidator('param', slugParam, validationHook), async (c) => {
      const campaign = await getCampaign(db, c.req.valid('param').slug);
      return c.json({ translations: await listTranslations(db, campaign.id) });
    })
    .put(
      '/campaigns/:slug/translations/:locale',
      requireRole('editor'),
      zValidator('param', slugLocale, validationHook),
      zValidator('json', translationSchema, validationHook),
      async (c) => {
        const { slug, locale } = c.req.valid('param');
        const campaign = await getCampaign(db, slug);
        const now = clock();
        const saved = await db.transaction().execute(async (trx) => {
          const { before, after } = await putTranslation(trx, campaign.id, locale, c.req.valid('json'), now);
          await audit(trx, {
            adminId: c.get('session').adminId,
            action: 'campaign.translation',
            entity: 'campaign',
            entityId: campaign.id,
            before: before && { locale, headline: before.headline, message: before.message },
            after: { locale, headline: after.headline, message: after.message },
            at: now,
          });
          return after;
        });
        await deps.bus.notify(db, campaign.id);
        return c.json(saved);
      },
    )
    .delete('/campaigns/:slug/translations/:locale', requireRole('editor'), zValidator('param', slugLocale, validationHook), async (c) => {
      const { slug, locale } = c.req.valid('param');
      const campaign = await getCampaign(db, slug);
      const now = clock();
      await db.transaction().execute(async (trx) => {
        const gone = await deleteTranslation(trx, campaign.id, locale);
        if (!gone) throw notFound('Translation');
        await audit(trx, {
          adminId: c.get('session').adminId,
          action: 'campaign.translation.delete',
          entity: 'campaign',
          entityId: campaign.id,
          before: { locale, headline: gone.headline, message: gone.message },
          at: now,
        });
      });
      await deps.bus.notify(db, campaign.id);
      return c.body(null, 204);
    });
}
