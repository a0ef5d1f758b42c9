/**
 * What a request for embed.js costs the server right after a gift changed a folded campaign's
 * answer (server/site/embed-fold.ts), against one that finds the file already made. Not part of
 * `npm run bench`; for looking (PGlite, in process).
 *
 *   npx tsx bench/embed-fold-cost.ts [open campaigns=1] [gifts=40]
 */
import { createTestContext, fakeClock } from '../tests/helpers/app.js';
import { checkoutSession, event, sid } from '../tests/helpers/events.js';
import { makeCampaign, makeGift } from '../tests/helpers/factories.js';
import { median } from './load.js';

const campaigns = Number(process.argv[2] ?? 1);
const gifts = Number(process.argv[3] ?? 40);
const clock = fakeClock('2026-12-05T10:00:00Z');
const c = await createTestContext('pglite', { clock });
try {
  const camps = [];
  for (let i = 0; i < campaigns; i++) camps.push(await makeCampaign(c.db, { slug: `drive-${i}` }));
  const get = async () => {
    const t = performance.now();
    const r = await c.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip' } });
    await r.arrayBuffer();
    return { ms: performance.now() - t, etag: r.headers.get('etag') };
  };
  for (let i = 0; i < 20; i++) await get();
  const same: number[] = [];
  const changed: number[] = [];
  let rebuilt = 0;
  for (let i = 0; i < gifts; i++) {
    const before = await get();
    same.push(before.ms);
    const campaign = camps[i % camps.length]!;
    const gift = await makeGift(c.db, campaign, { amount: 1000 });
    const session = checkoutSession({ ...gift, campaignSlug: campaign.slug, email: 'reader@example.org' }, { paymentIntent: sid('pi') });
    await c.deliver(event('checkout.session.completed', session, Math.floor(clock().getTime() / 1000)));
    const after = await get();
    if (after.etag !== before.etag) {
      rebuilt++;
      changed.push(after.ms);
    }
  }
  console.log(
    `${campaigns} open campaign(s), ${gifts} gifts: unchanged ${median(same).toFixed(2)} ms; ` +
      `first request after a gift ${changed.length ? median(changed).toFixed(2) : '-'} ms (new file ${rebuilt} times)`,
  );
} finally {
  await c.close();
}
