import type { AppDeps } from '../deps.js';
import { esc } from '../mail/html.js';
import type { ManageSection } from '../manage/pages.js';
import { currentYear } from './job.js';
import { statementLink } from './links.js';
import { statementYears } from './service.js';
import { getOrgSettings } from '../settings/service.js';

/**
 * The monthly donor's page (/manage) lists a statement link for every year the donor gave (the
 * donor being the e-mail their payments are counted under, as on the statement itself).
 */
export function statementSection(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>): ManageSection {
  const { db, config, clock } = deps;
  return async ({ gift }) => {
    const paid = await db
      .selectFrom('payments')
      .select('donor_key')
      .where('gift_id', '=', gift.id)
      .where('donor_key', 'like', 'email:%')
      .executeTakeFirst();
    const email = paid ? paid.donor_key.slice('email:'.length) : gift.email;
    if (!email) return '';
    const years = await statementYears(db, config, email);
    if (!years.length) return '';
    const now = clock();
    const thisYear = currentYear(now, (await getOrgSettings(db, config)).timeZone);
    const items = await Promise.all(
      years.map(async (year) => {
        const url = await statementLink(db, config, { email, year, now });
        return `<li><a href="${esc(url)}">${year}${year === thisYear ? ' (so far)' : ''}, PDF</a></li>`;
      }),
    );
    return `<section style="margin:1.5rem 0 0;padding-top:1.25rem;border-top:1px solid #e5e5e0;">
<h2 style="font-size:1.15rem;margin:0 0 .5rem;">Annual giving statements</h2>
<p>Every gift you made in a year, net of refunds, for your records or your tax return.</p>
<ul>${items.join('')}</ul>
</section>`;
  };
}
