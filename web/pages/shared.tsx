import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Locale } from '../../common/i18n.js';
import { formCss, meterCss } from '../components/styles.js';
import { browserLanguages, type Lang, makeT, type Messages, type T } from '../lib/i18n.js';
import { resolveLang } from '../lib/i18n.js';
import { bannerEn } from '../lib/messages/en-banner.js';
import { dialogEn } from '../lib/messages/en-dialog.js';
import { pagesEn } from '../lib/messages/en-pages.js';
import './pages.css';

const EN = { ...bannerEn, ...dialogEn, ...pagesEn };
/** Languages beyond English load only for the readers who need them. */
const catalogs: Partial<Record<Locale, () => Promise<{ default: Messages }>>> = {
  es: () => import('../lib/messages/es.js'),
  fr: () => import('../lib/messages/fr.js'),
  de: () => import('../lib/messages/de.js'),
  ar: () => import('../lib/messages/ar.js'),
};

/** The pages talk to their own origin. */
export const API = '';

/**
 * Mounts a page in the reader's language: `?locale=` (the banner's link passes its own), else the
 * browser's; <html lang dir> follow (Arabic reads right to left). The chooser and meter CSS strings
 * the widget injects into its shadow root go into the page.
 */
export function mountPage(id: string, page: (t: T, l: Lang) => ReactNode) {
  const style = document.createElement('style');
  style.textContent = formCss + meterCss;
  document.head.append(style);
  const l = resolveLang([new URLSearchParams(location.search).get('locale'), ...browserLanguages()]);
  document.documentElement.lang = l.tag;
  document.documentElement.dir = l.dir;
  const load = catalogs[l.lang];
  const messages: Promise<Partial<Messages>> = load
    ? load().then(
        (m) => m.default,
        () => ({}),
      )
    : Promise.resolve({});
  void messages.then((m) => {
    const el = document.getElementById(id);
    if (el) createRoot(el).render(<StrictMode>{page(makeT(l.lang, m, EN), l)}</StrictMode>);
  });
}

/**
 * The page the donor came from, shown with its host name. Only what the server put in the page
 * (<meta name="gs-return">), which it checked against the campaign's allowed origins: the
 * `return` query parameter itself is never trusted, anyone can write one into a link.
 */
export function returnLink(): { href: string; host: string } | null {
  const raw = document.querySelector('meta[name="gs-return"]')?.getAttribute('content');
  if (!raw || raw.startsWith('__')) return null;
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? { href: u.href, host: u.host } : null;
  } catch {
    return null;
  }
}
