import type { Kysely } from 'kysely';
import type { ProgressExtras } from '../../common/api.js';
import type { Database } from '../../db/schema.js';
import type { CampaignWithTotals } from '../campaigns/repository.js';
import { campaignStatus } from '../campaigns/service.js';
import type { Config } from '../config.js';
import { readBreaker } from './breaker.js';
import { captchaRequired } from './card-testing.js';

/**
 * What the public progress says beyond the campaign's own row: whether payments are up (the
 * breaker), the organisation's other ways to give, and an ended campaign's follow-on while that
 * one is open. Read once per cache load (the progress cache serves every page view from memory).
 */
export async function progressExtras(
  db: Kysely<Database>,
  c: CampaignWithTotals,
  now: Date,
  captcha: Config['cardTesting']['captcha'] = null,
): Promise<ProgressExtras> {
  const breaker = await readBreaker(db);
  let followOn: ProgressExtras['followOn'] = null;
  if (c.follow_on_id != null) {
    const next = await db
      .selectFrom('campaigns')
      .where('id', '=', c.follow_on_id)
      .select(['slug', 'title', 'starts_at', 'ends_at', 'archived_at'])
      .executeTakeFirst();
    if (next && campaignStatus(next, now) === 'open') followOn = { slug: next.slug, title: next.title };
  }
  const needCaptcha = captcha && (await captchaRequired(db, c.id, now));
  return {
    payments: breaker.open ? 'down' : 'up',
    otherWays: breaker.otherWays,
    pledgeDays: breaker.pledgeRetentionDays,
    followOn,
    ...(needCaptcha && { captcha: { provider: captcha.provider, siteKey: captcha.siteKey } }),
  };
}
