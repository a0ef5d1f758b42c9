import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/admin/passwords.js';
import { hasChromium, launch, screenshotPath } from '../helpers/browser.js';
import { DIST, ROOT } from '../helpers/build.js';
import { type RunningApp, startApp } from '../helpers/server.js';

const OWNER = 'owner@example.org';
const PASSWORD = 'correct horse battery';

/** SPEC §11 in the console: invite with a role, the invited admin's own password, re-auth. */
describe.skipIf(!hasChromium)('admins in the console (Chromium)', () => {
  let app: RunningApp;
  let browser: Browser;
  let ownerCtx: BrowserContext;
  let owner: Page;
  let invitedCtx: BrowserContext;
  let invited: Page;
  let link = '';
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
    const open = async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
      ctx.setDefaultTimeout(15_000);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      return { ctx, page };
    };
    ({ ctx: ownerCtx, page: owner } = await open());
    ({ ctx: invitedCtx, page: invited } = await open());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('an owner invites an editor and gets a link to pass on', async () => {
    await owner.goto(`${app.base}/admin`);
    await owner.getByLabel('E-mail').fill(OWNER);
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await owner.getByRole('link', { name: 'Admins' }).click();
    await owner.getByRole('heading', { name: 'Who can sign in' }).waitFor();
    await owner.getByLabel('E-mail').fill('Editor@Example.org');
    await owner.getByLabel('Role', { exact: true }).selectOption('editor');
    await owner.getByRole('button', { name: 'Invite' }).click();
    const input = owner.getByRole('textbox', { name: 'Invitation link' });
    await input.waitFor();
    link = await input.inputValue();
    expect(link).toMatch(new RegExp(`^${app.base}/admin/invite/[\\w-]{43}$`));
    const row = owner.getByTestId('admin-editor@example.org');
    await expect.poll(() => row.textContent()).toContain('Invited');
    expect(await row.getByLabel('Role of editor@example.org').inputValue()).toBe('editor');
    await owner.screenshot({ path: screenshotPath('admin-admins.png'), fullPage: true });
  });

  it('the invited editor opens the link, chooses a password and is signed in', async () => {
    await invited.goto(link);
    await invited.getByRole('heading', { name: 'Join the Groundswell admin' }).waitFor();
    await invited.getByText('editor@example.org').waitFor();
    await invited.getByLabel('New password').fill('editor chosen secret');
    await invited.getByLabel('Repeat the password').fill('something else');
    await invited.getByRole('button', { name: 'Set password and sign in' }).click();
    await invited.getByText('The two passwords differ.').waitFor();
    await invited.getByLabel('Repeat the password').fill('editor chosen secret');
    await invited.getByRole('button', { name: 'Set password and sign in' }).click();
    await invited.getByRole('heading', { name: 'Campaigns' }).waitFor();
    expect(new URL(invited.url()).pathname).toBe('/admin'); // the token is gone from the address bar
    expect(await invited.locator('.who').textContent()).toContain('editor@example.org · Editor');
    // An editor sees no admin list, only their own account.
    await invited.getByRole('link', { name: 'Your account' }).click();
    await invited.getByRole('heading', { name: 'Change your password' }).waitFor();
    expect(await invited.getByRole('heading', { name: 'Who can sign in' }).count()).toBe(0);

    // The link is used up.
    const other = await invitedCtx.newPage();
    await other.goto(link);
    await other.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await other.close();
  });

  it('after 10 minutes, disabling an admin asks the owner for the password, then signs the editor out', async () => {
    // The owner's sign-in is made 11 minutes old.
    await app.db
      .updateTable('admin_sessions')
      .set({ authenticated_at: new Date(Date.now() - 11 * 60_000) })
      .execute();
    await owner.getByRole('button', { name: 'Disable editor@example.org' }).click();
    const dialog = owner.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await dialog.getByLabel('Your password').fill('not my password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByText('That is not your password.').waitFor();
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = owner.getByTestId('admin-editor@example.org');
    await expect.poll(() => row.textContent()).toContain('Disabled');

    await invited.reload();
    await invited.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(errors).toEqual([]);
  });
});
