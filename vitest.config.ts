import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The browser suite starts servers and Chromium; files run in parallel workers otherwise.
    pool: 'forks',
  },
});
