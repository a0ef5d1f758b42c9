import { defineConfig } from 'vitest/config';

// Ceilings, not expectations: a test waits on events (a line printed, a port answering, a
// page element) and these only end a test that is really stuck. On a busy 2-core machine the
// suites run several times slower than on a quiet one, so the ceilings are minutes.
const MINUTE = 60_000;

/** Test files that read dist/web (the built pages, admin console and embed.js). */
const NEEDS_WEB_BUILD = ['tests/browser/**/*.test.ts', 'tests/integration/web/**/*.test.ts', 'tests/unit/web/embed-size.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 5 * MINUTE,
    hookTimeout: 5 * MINUTE,
    teardownTimeout: 2 * MINUTE,
    // expect.poll waits for a page or a stream to show something; its default (1 s) is a race.
    expect: { poll: { timeout: 2 * MINUTE, interval: 100 } },
    // Property tests: a fresh seed per run, printed on failure, replayed with FC_SEED=... .
    setupFiles: ['tests/helpers/property.ts'],
    // Files run in parallel worker processes.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'], exclude: NEEDS_WEB_BUILD },
      },
      {
        // Builds dist/web once before any of these files starts, so none sees it half-written.
        extends: true,
        test: { name: 'web', include: NEEDS_WEB_BUILD, globalSetup: ['tests/browser/helpers/global-setup.ts'] },
      },
    ],
  },
});
