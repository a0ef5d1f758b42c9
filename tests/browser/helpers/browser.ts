import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { ROOT } from './build.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts/screenshots');

if (!hasChromium) {
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!!  BROWSER TESTS SKIPPED: ${CHROMIUM} not found.\n!!  Install Debian's chromium (apt-get install chromium) to run tests/browser.\n!!  CI always installs it; a green run here has NOT exercised the widget in a browser.\n${line}\n`,
  );
}

/**
 * Playwright's ceiling for one action or wait (click, goto, waitFor, waitForURL). Each waits for
 * an event; a busy machine makes events late, never wrong, so the ceiling is generous.
 */
export const UI_WAIT_MS = 2 * 60_000;

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: UI_WAIT_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, name);
}
