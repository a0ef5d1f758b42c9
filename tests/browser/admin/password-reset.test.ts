import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/admin/passwords.js';
import { hasChromium, launch } from '../helpers/browser.js';
import { DIST, ROOT } from '../helpers/build.js';
import { type RunningApp, startApp } from '../helpers/server.js';

const OWNER = 'owner@example.org';
const PASSWORD = 'correct horse battery';

/** "Forgot your password?" in the console, the mailed link, and the Statements page. */
describe.skipIf(!hasChromium)('password reset and statements in the console (Chromium)', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    if (!existsSync(path.join(DIST, 'admin/index.html')))
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    await app.db
      .insertInto('admins')
      .values({ email: OWNER, password_hash: await hashPassword(PASSWORD), role: 'owner' })
      .execute();
    browser = await launch();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    ctx.setDefaultTimeout(15_000);
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('asks for a reset link, opens it, chooses a new password and is signed in', async () => {
    await page.goto(`${app.base}/admin`);
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await page.getByLabel('E-mail').fill(OWNER);
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('If this address belongs to an admin');
    // The mail is in the built-in outbox (no SMTP_URL): its link is what the admin would click.
    const mail = await app.db
      .selectFrom('mail_outbox')
      .select('data')
      .where('kind', '=', 'admin.password_reset')
      .where('to_address', '=', OWNER)
      .executeTakeFirstOrThrow();
    const { token } = mail.data as { token: string };
    await page.goto(`${app.base}/admin/reset/${token}`);
    await page.getByRole('heading', { name: 'Reset your admin password' }).waitFor();
    await page.getByLabel('New password').fill('a fresh long password');
    await page.getByLabel('Repeat the password').fill('a fresh long password');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();

    // The link is used up.
    await page.goto(`${app.base}/admin/reset/${token}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
  });

  it('an owner starts last year’s statements and sees the mailing', async () => {
    await page.goto(`${app.base}/admin`);
    await page.getByRole('link', { name: 'Statements' }).click();
    await page.getByRole('heading', { name: 'Annual giving statements' }).waitFor();
    await page.getByRole('button', { name: 'Send statements' }).click();
    const year = String(new Date().getUTCFullYear() - 1);
    await page.getByRole('cell', { name: year, exact: true }).waitFor();
    const run = await app.db.selectFrom('statement_runs').select(['year', 'status']).executeTakeFirstOrThrow();
    expect(run.year).toBe(Number(year));
    expect(errors).toEqual([]);
  });
});
