import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * BUILD 2 of 2 — the pages (real React): one HTML entry per page, served from disk by
 * server/site/routes.ts (and, for the admin, by server/admin). Output: dist/web/<path of the
 * .html>, shared chunks in dist/web/assets/.
 *
 * The embed (IIFE on Preact, size-budgeted) is BUILD 1: web/vite.embed.config.ts.
 * `npm run build` runs this config first (it empties dist/web), then the embed config.
 */
const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const input: Record<string, string> = {
  // Public pages (web work): GET /, /donate/:slug, /thanks
  demo: r('pages/demo.html'),
  donate: r('pages/donate.html'),
  thanks: r('pages/thanks.html'),
};

// ADMIN ENTRY (admin work): web/admin/index.html joins this same build when it exists.
// GROUNDSWELL_BUILD=public builds the public pages only, on top of dist/web (the browser tests
// use it so that an admin console in progress cannot break them, nor they its build output).
const publicOnly = process.env.GROUNDSWELL_BUILD === 'public';
if (!publicOnly && existsSync(r('admin/index.html'))) input.admin = r('admin/index.html');

export default defineConfig({
  root: r('.'),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [react()],
  build: {
    outDir: r('../dist/web'),
    emptyOutDir: !publicOnly,
    target: 'es2020',
    sourcemap: false,
    rollupOptions: { input },
  },
});
