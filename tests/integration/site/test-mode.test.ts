import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPageRoutes } from '../../../server/admin/pages.js';
import { loadConfig } from '../../../server/config.js';
import { type Runtime, createRuntime } from '../../../server/runtime.js';
import { ensureWebBuilt } from '../../browser/helpers/build.js';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';

/** SPEC §2: while money is not live, every page a person sees says TEST MODE; with live money, none does. */
const PAGES = ['/', '/donate/spring-drive', '/thanks?session_id=cs_test_x'];

describe.each(testDatabaseKinds())('TEST MODE labels on %s', (kind) => {
  const runtimes: { runtime: Runtime; database: TestDatabase }[] = [];
  beforeAll(async () => ensureWebBuilt(), 120_000);
  afterAll(async () => {
    for (const r of runtimes) {
      await r.runtime.close();
      await r.database.drop();
    }
  });

  async function start(env: Record<string, string>) {
    const database = await createTestDatabase(kind);
    const runtime = await createRuntime(loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://give.example.org', ...env }), { database });
    runtimes.push({ runtime, database });
    await makeCampaign(database.db, { slug: 'spring-drive' });
    return runtime.app;
  }

  it.each([
    ['the emulator', { STRIPE_EMULATOR: '1' }],
    ['an sk_test_ key', { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x' }],
    ['an rk_test_ key', { STRIPE_SECRET_KEY: 'rk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x' }],
  ])('says TEST MODE on %s: campaign JSON for the widget, and the donate, thanks and demo pages', async (_name, env) => {
    const app = await start(env);
    const progress = await (await app.request('/api/campaigns/spring-drive')).json();
    expect(progress).toMatchObject({ slug: 'spring-drive', testMode: true });
    for (const page of PAGES) {
      const html = await (await app.request(page)).text();
      expect(html, page).toMatch(/<body[^>]*><p class="gs-test-mode" role="note"><strong>TEST MODE<\/strong>/);
    }
  });

  it('says nothing of the kind with a live key', async () => {
    const app = await start({ STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x' });
    const progress = await (await app.request('/api/campaigns/spring-drive')).json();
    expect(progress).not.toHaveProperty('testMode');
    for (const page of PAGES) expect(await (await app.request(page)).text(), page).not.toContain('TEST MODE');
  });
});

describe('TEST MODE on the admin console', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'gs-admin-dist-'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><html><body class="x"><div id="root"></div></body></html>');
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('is the first thing in the page while money is not live, and absent otherwise', async () => {
    const test = await (await adminPageRoutes({ distDir: dist, testMode: true }).request('/admin/campaigns')).text();
    expect(test).toContain('<body class="x"><p class="gs-test-mode" role="note"><strong>TEST MODE</strong>');
    const live = await (await adminPageRoutes({ distDir: dist, testMode: false }).request('/admin')).text();
    expect(live).not.toContain('TEST MODE');
  });
});
