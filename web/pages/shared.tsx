import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { formCss, meterCss } from '../components/styles.js';
import './pages.css';

/** The pages talk to their own origin. */
export const API = '';

/** The chooser and meter CSS strings the widget injects into its shadow root, here in the page. */
export function mountPage(id: string, node: ReactNode) {
  const style = document.createElement('style');
  style.textContent = formCss + meterCss;
  document.head.append(style);
  const el = document.getElementById(id);
  if (el) createRoot(el).render(<StrictMode>{node}</StrictMode>);
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
