import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * BUILD 1 of 2 — the embed: web/embed/index.tsx → dist/web/embed.js, one IIFE file, nothing
 * loaded before first paint. The components are written against the React API; here they run
 * on Preact (preact/compat) to stay inside the size budget (tests/unit/web/embed-size.test.ts).
 * The pages and the admin keep real React (web/vite.config.ts). Runs after the pages build,
 * which empties dist/web.
 */
const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: r('.'),
  publicDir: false,
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  resolve: {
    alias: [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
      { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
      { find: /^react$/, replacement: 'preact/compat' },
    ],
  },
  build: {
    outDir: r('../dist/web'),
    emptyOutDir: false,
    target: 'es2020',
    minify: true,
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: r('embed/index.tsx'),
      formats: ['iife'],
      name: 'GroundswellEmbed',
      fileName: () => 'embed.js',
    },
  },
});
