import { afterEach, describe, expect, it } from 'vitest';
import { ProgressCache } from '../../../server/campaigns/progress-cache.js';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';

/**
 * The progress cache (server/campaigns/progress-cache.ts) drops a campaign's answer when the bus
 * says its totals changed. A change to one campaign must not throw away another's load (in a
 * storm of gifts to one campaign, every other campaign's readers would keep reloading), and a
 * read after a change must never get an answer that was loaded before it.
 */
describe.each(testDatabaseKinds())('the progress cache, on %s', (kind) => {
  let ctx: TestContext | undefined;
  let cache: ProgressCache | undefined;
  afterEach(async () => {
    cache?.close();
    cache = undefined;
    await ctx?.close();
    ctx = undefined;
  });

  const setup = async () => {
    ctx = await createTestContext(kind);
    cache = new ProgressCache(ctx.db, ctx.bus, ctx.clock);
    const a = await makeCampaign(ctx.db, { slug: 'year-end', title: 'Year end' });
    const b = await makeCampaign(ctx.db, { slug: 'spring-drive', title: 'Spring drive' });
    return { c: ctx, cache, a, b };
  };

  it('keeps a load of one campaign that a change to another campaign overtook', async () => {
    const { cache, a, b } = await setup();
    await cache.get('spring-drive');
    cache.invalidate(b.id);
    const loading = cache.get('spring-drive');
    cache.invalidate(a.id);
    cache.invalidate(a.id);
    const entry = await loading;
    expect(entry.progress.slug).toBe('spring-drive');
    expect(cache.peek('spring-drive')).toBe(entry);
    // The changed campaign itself is loaded again.
    expect(cache.peek('year-end')).toBeUndefined();
  });

  it('never keeps or shares a load that a change to its own campaign overtook', async () => {
    const { c, cache, a } = await setup();
    await cache.get('year-end');
    cache.invalidate(a.id);
    const before = cache.get('year-end');
    await c.db.updateTable('campaigns').set({ title: 'Year end, doubled' }).where('id', '=', a.id).execute();
    cache.invalidate(a.id);
    const after = cache.get('year-end');
    expect(after).not.toBe(before);
    const stale = await before;
    expect((await after).progress.title).toBe('Year end, doubled');
    expect(cache.peek('year-end')).not.toBe(stale);
    expect(cache.peek('year-end')?.progress.title).toBe('Year end, doubled');
  });

  it('drops every campaign on a change to all of them', async () => {
    const { cache } = await setup();
    await Promise.all([cache.get('year-end'), cache.get('spring-drive')]);
    const loading = cache.get('spring-drive');
    cache.invalidate(0);
    expect(cache.peek('year-end')).toBeUndefined();
    expect(cache.peek('spring-drive')).toBeUndefined();
    const again = cache.get('spring-drive');
    expect(again).not.toBe(loading);
    await Promise.all([loading, again]);
  });

  it('does not let a load of a slug it has never loaded outlive a change (its campaign is not known yet)', async () => {
    const { cache, a } = await setup();
    const first = cache.get('year-end');
    cache.invalidate(a.id);
    const second = cache.get('year-end');
    expect(second).not.toBe(first);
    await Promise.all([first, second]);
  });
});
