import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { signIn } from '../admin/helpers.js';
import { type TestContext, createTestContext } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';

const ROOT = path.resolve(__dirname, '../../..');

describe('optional parts load only when used (STYLE 18)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Runs createRuntime in a fresh process and lists every module it resolved. */
  function run(env: Record<string, string>) {
    const dir = mkdtempSync(path.join(tmpdir(), 'gs-runtime-'));
    dirs.push(dir);
    const trace = path.join(dir, 'modules.txt');
    const clean = { ...process.env };
    for (const k of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_API_BASE', 'STRIPE_EMULATOR', 'NODE_ENV', 'PUBLIC_URL'])
      delete clean[k];
    const out = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './tests/integration/server/fixtures/trace-modules.mjs',
        'tests/integration/server/fixtures/runtime-once.ts',
      ],
      {
        cwd: ROOT,
        env: { ...clean, LOG_LEVEL: 'silent', DATABASE_URL: '', DATA_DIR: path.join(dir, 'data'), TRACE_MODULES_FILE: trace, ...env },
        encoding: 'utf8',
      },
    );
    expect(out.status, out.stderr).toBe(0);
    return {
      result: JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { emulator: boolean; status: number },
      modules: readFileSync(trace, 'utf8'),
    };
  }

  it('a server with a real key never loads the emulator’s code, and /emulator does not exist', () => {
    const live = run({
      STRIPE_SECRET_KEY: 'sk_live_not_a_real_key',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      PUBLIC_URL: 'https://give.example.org',
    });
    expect(live.result).toEqual({ emulator: false, status: 404 });
    expect(live.modules).toContain('/server/runtime.ts');
    expect(live.modules).not.toContain('/stripe-emulator/');
  }, 60_000);

  it('a local run loads it (so the check above can see a load)', () => {
    const local = run({});
    expect(local.result).toEqual({ emulator: true, status: 401 });
    expect(local.modules).toContain('/server/stripe-emulator/index.ts');
  }, 60_000);
});

describe.each(testDatabaseKinds())('the wired emulator on %s', (kind) => {
  let ctx: TestContext;
  afterAll(async () => ctx?.close());

  it('opens its dashboard to a signed-in admin only, and its API to the runtime’s own SDK client only', async () => {
    ctx = await createTestContext(kind);
    expect((await ctx.app.request('/emulator')).status).toBe(401);

    const { cookie, csrfToken } = await signIn(ctx);
    const session = await ctx.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Gift' } } }],
      success_url: `${ctx.config.publicUrl}/thanks`,
    });
    const page = await ctx.app.request('/emulator', { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(session.id);
    expect(html).toContain(`name="csrf_token" value="${csrfToken}"`);
    const expire = (token: string) =>
      ctx.app.request('/emulator/actions/expire', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id: session.id, csrf_token: token }).toString(),
      });
    expect((await expire('wrong')).status).toBe(403);
    expect((await expire(csrfToken)).status).toBe(303);
    expect((await ctx.stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');

    // The app's own client works; a stranger's test key gets nothing.
    await expect(ctx.stripe.events.list({ limit: 1 })).resolves.toMatchObject({ object: 'list' });
    const stranger = new Stripe('sk_test_groundswell_emulator', {
      httpClient: Stripe.createFetchHttpClient(async (u, i) => ctx.app.request(String(u), i)),
      maxNetworkRetries: 0,
    });
    await expect(stranger.events.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});
