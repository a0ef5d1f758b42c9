import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { LOCALES } from '../common/i18n.js';
import ar from './lib/messages/ar.js';
import de from './lib/messages/de.js';
import { bannerEn } from './lib/messages/en-banner.js';
import { dialogEn } from './lib/messages/en-dialog.js';
import es from './lib/messages/es.js';
import fr from './lib/messages/fr.js';

/**
 * BUILD 1 of 2 — the embed, in three scripts (issue 12: the first paint carries only the banner),
 * each one IIFE file, built in this order because each names the one before by content hash
 * (?v=), so a new script is never mixed with an old one from a cache:
 *  - `vite build --config web/vite.embed.config.ts --mode donate` → dist/web/embed-donate.js:
 *    the donate dialog (form, money rules), loaded when a reader reaches for Donate. Its React
 *    is embed-app.js's Preact, read from window.Groundswell.runtime (output.globals).
 *  - `vite build --config web/vite.embed.config.ts --mode app` → dist/web/embed-app.js: the live
 *    banner (Preact), loaded by embed.js after its first paint; it takes that banner over.
 *  - `vite build --config web/vite.embed.config.ts` → dist/web/embed.js, the one script tag:
 *    small, no framework; it paints the banner the server folded in ready-made
 *    (server/site/embed-fold.ts), then loads embed-app.js.
 * The components are written against the React API; here they run on Preact (preact/compat) to
 * stay inside the size budget (tests/unit/web/embed-size.test.ts). The pages and the admin keep
 * real React (web/vite.config.ts). Runs after the pages build, which empties dist/web.
 */
const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const DONATE_FILE = r('../dist/web/embed-donate.js');
const APP_FILE = r('../dist/web/embed-app.js');
const hashOf = (file: string) => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12) : 'dev');

/**
 * The catalogs beyond English, as embed-<lang>.json next to the scripts: only the banner's and the
 * dialog's keys (the pages' words stay out). embed.js fetches the reader's one when it is not
 * English and names it by content hash (?v=), like the dialog script.
 */
const CATALOGS = { es, fr, de, ar };
const EMBED_KEYS = [...Object.keys(bannerEn), ...Object.keys(dialogEn)];
const catalogFile = (lang: string) => `embed-${lang}.json`;
function catalogJson(lang: keyof typeof CATALOGS): string {
  const all = CATALOGS[lang] as Record<string, unknown>;
  return JSON.stringify(Object.fromEntries(EMBED_KEYS.map((k) => [k, all[k]])));
}
const emitCatalogs: Plugin = {
  name: 'groundswell-catalogs',
  generateBundle() {
    for (const lang of Object.keys(CATALOGS) as (keyof typeof CATALOGS)[]) {
      this.emitFile({ type: 'asset', fileName: catalogFile(lang), source: catalogJson(lang) });
    }
  },
};
/**
 * The widget's CSS (components/styles.ts) is written a rule a line; in the scripts, the line
 * breaks between rules go (CSS needs none of them: every rule ends in '}').
 */
const compactCss: Plugin = {
  name: 'groundswell-compact-css',
  transform(code, id) {
    if (!id.endsWith('/components/styles.ts')) return null;
    return { code: code.replace(/`[^`]*`/g, (css) => css.replace(/\n/g, '')), map: null };
  },
};
/** Every language but English has its catalog (checked at build time). */
for (const l of LOCALES) if (l !== 'en' && !(l in CATALOGS)) throw new Error(`no catalog for ${l}`);

const preact = [
  { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
  { find: /^react-dom$/, replacement: 'preact/compat' },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
  { find: /^react$/, replacement: 'preact/compat' },
];

export default defineConfig(({ mode }) => {
  const donate = mode === 'donate';
  const app = mode === 'app';
  const boot = !donate && !app;
  const i18n = createHash('sha256');
  for (const lang of Object.keys(CATALOGS) as (keyof typeof CATALOGS)[]) i18n.update(catalogJson(lang));
  return {
    root: r('.'),
    publicDir: false,
    logLevel: 'warn',
    define: {
      'process.env.NODE_ENV': JSON.stringify('production'),
      __GS_DONATE_VERSION__: JSON.stringify(app ? hashOf(DONATE_FILE) : 'dev'),
      __GS_I18N_VERSION__: JSON.stringify(i18n.digest('hex').slice(0, 12)),
      __GS_APP_VERSION__: JSON.stringify(boot ? hashOf(APP_FILE) : 'dev'),
    },
    plugins: donate ? [emitCatalogs, compactCss] : [compactCss],
    // es2020 has no class fields: plain assignments in the constructor rather than a
    // defineProperty helper per field (our classes have no accessors a field could shadow), and
    // a field declared without a value is only a type.
    // The dialog script keeps 'react' and its JSX runtime external: embed.js hands them over.
    resolve: { alias: donate ? preact.filter((a) => !a.find.test('react') && !a.find.test('react/jsx-runtime')) : preact },
    build: {
      outDir: r('../dist/web'),
      emptyOutDir: false,
      target: 'es2020',
      minify: true,
      sourcemap: false,
      copyPublicDir: false,
      lib: {
        entry: r(donate ? 'embed/donate.tsx' : app ? 'embed/app.tsx' : 'embed/boot.ts'),
        formats: ['iife'],
        name: donate ? 'GroundswellDonate' : app ? 'GroundswellApp' : 'GroundswellEmbed',
        fileName: () => (donate ? 'embed-donate.js' : app ? 'embed-app.js' : 'embed.js'),
      },
      rollupOptions: {
        transform: { assumptions: { setPublicClassFields: true }, typescript: { removeClassFieldsWithoutInitializer: true } },
        ...(donate
          ? {
              external: ['react', 'react/jsx-runtime'],
              output: { globals: { react: 'Groundswell.runtime', 'react/jsx-runtime': 'Groundswell.runtime' } },
            }
          : // V8's explicit compile hint (Chrome 136+; a plain comment elsewhere): nearly every
            // function of embed.js (and of embed-app.js, as it takes over) runs at once, so V8
            // compiles them all while the file streams in, on a background thread, instead of one
            // by one on the page's main thread as each is first called (issue 12: 31 → 12 ms
            // median on the bench page, when embed.js was one file).
            // After minification, which would drop it, and first in the file, where V8 looks.
            { output: { postBanner: '//# allFunctionsCalledOnLoad' } }),
      },
    },
  };
});
