/**
 * embed.js: one <script> tag on any page of any origin.
 *
 *   <script src="https://give.example.org/embed.js" data-campaign="year-end" async></script>
 *   <div data-groundswell-campaign="year-end"></div>   (inline mounts, any number)
 *
 * Attributes: data-placement="top|bottom|inline" (script only; top by default), data-accent,
 * data-locale, data-dismiss-days, data-consent="required" (store nothing until
 * Groundswell.consent(true)). Built as one IIFE with Preact behind the React API (Plausible-
 * and Umami-style: small, configured by attributes, one global at most, never throws into the
 * host page).
 */
import { Component, type ComponentType, Fragment, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { jsx, jsxs } from 'react/jsx-runtime';
import { createRoot } from 'react-dom/client';
import { learnFormatted } from '../../common/formatted.js';
import { type BannerOptions, BannerView, type Placement } from '../components/BannerView.js';
import type { DonatePanelProps } from '../components/DonatePanel.js';
import { adoptStyles, barCss } from '../components/styles.js';
import type { Locale } from '../../common/i18n.js';
import { type CampaignProgress, fetchProgress } from '../lib/api.js';
import { isDismissed } from '../lib/dismiss.js';
import { isCapped } from '../lib/frequency.js';
import { takeMarker } from '../lib/gave.js';
import type { Messages } from '../lib/i18n.js';
import { requireConsent, setConsent } from '../lib/store.js';

// Captured synchronously: document.currentScript is null once this first run is over.
const currentScript = document.currentScript as HTMLScriptElement | null;

const DONE = 'data-groundswell-mounted';

/**
 * The progress of the server's open campaigns as it was when this file was served: the server
 * puts it in place of the placeholder (server/site/embed-fold.ts), so the first paint needs no
 * second request. The live stream sends the current state as soon as it connects.
 */
let folded = new Map<string, CampaignProgress>();
try {
  folded = new Map(Object.entries(JSON.parse('__GS_FOLDED__')));
  // Their figures, formatted by the server for the common reader tags: a fresh page's first Intl
  // call (ICU's start-up) would otherwise cost tens of milliseconds before the banner paints.
  learnFormatted(JSON.parse('__GS_FIGURES__'));
} catch {
  // served as built (no server folding): every banner asks the API
}

export interface GroundswellGlobal {
  version: string;
  /** Mounts every banner described by `script` and every unmounted [data-groundswell-campaign]. */
  scan(script?: HTMLScriptElement | null): void;
  /** Programmatic mount (single-page apps): renders a banner inside `el`. */
  mount(el: Element, opts: Partial<BannerOptions> & { campaign: string }): () => void;
  /** With data-consent="required": nothing is stored in the host page until this says true. */
  consent(granted: boolean): void;
  /** What embed-donate.js builds on: this script's Preact (React API) and JSX runtime. */
  runtime?: Record<string, unknown>;
  /** Set by embed-donate.js when it has run. */
  donatePanel?: ComponentType<DonatePanelProps>;
}

/** Content hash of the embed-donate.js this build goes with (web/vite.embed.config.ts). */
declare const __GS_DONATE_VERSION__: string;
/** Content hash of the embed-<lang>.json catalogs this build goes with. */
declare const __GS_I18N_VERSION__: string;

declare global {
  interface Window {
    Groundswell?: GroundswellGlobal;
  }
}

function warn(...args: unknown[]) {
  try {
    console.warn('[groundswell]', ...args);
  } catch {
    /* no console */
  }
}

/** The Groundswell server is wherever embed.js came from (PUBLIC_URL may carry a path). */
function apiBase(script: HTMLScriptElement | null): string {
  const src = script?.src || document.querySelector<HTMLScriptElement>('script[src*="/embed.js"]')?.src || '';
  try {
    return new URL('.', new URL(src, location.href)).href.replace(/\/$/, '');
  } catch {
    return location.origin;
  }
}

function options(el: HTMLElement, fallback: HTMLElement | null, api: string): Omit<MountOptions, 'campaign'> {
  const attr = (name: string) => el.getAttribute(name) ?? fallback?.getAttribute(name) ?? undefined;
  const days = Number(attr('data-dismiss-days'));
  return {
    api,
    accent: attr('data-accent'),
    locale: attr('data-locale'),
    dismissDays: attr('data-dismiss-days') !== undefined && Number.isFinite(days) && days >= 0 ? days : 7,
  };
}

/**
 * The progress folded into this file (rendered at once, in the same task), else the request,
 * sent before the banner renders; BannerView reports its failure.
 */
function early(api: string, campaign: string): { initial?: CampaignProgress; first?: Promise<CampaignProgress> } {
  const initial = api === apiBase(currentScript) ? folded.get(campaign) : undefined;
  if (initial) return { initial };
  const first = fetchProgress(api, campaign);
  first.catch(() => {});
  return { first };
}

const donateLoads = new Map<string, Promise<ComponentType<DonatePanelProps>>>();

/**
 * The donate dialog is a second script, embed-donate.js, next to this one (so the host page's
 * script-src allows it), fetched once per page when a reader first reaches for Donate.
 */
function loadDonate(api: string): Promise<ComponentType<DonatePanelProps>> {
  const ready = window.Groundswell?.donatePanel;
  if (ready) return Promise.resolve(ready);
  let p = donateLoads.get(api);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = `${api}/embed-donate.js?v=${__GS_DONATE_VERSION__}`;
      s.async = true;
      // A host page whose CSP names our script by nonce names this one too.
      if (currentScript?.nonce) s.nonce = currentScript.nonce;
      s.onload = () => {
        const panel = window.Groundswell?.donatePanel;
        if (panel) resolve(panel);
        else reject(new Error('embed-donate.js did not register'));
      };
      s.onerror = () => {
        donateLoads.delete(api);
        reject(new Error(`could not load ${s.src}`));
      };
      document.head.append(s);
    });
    donateLoads.set(api, p);
  }
  return p;
}

const catalogs = new Map<string, Promise<Partial<Messages>>>();

/**
 * A language other than English: its catalog, embed-<lang>.json next to this script (the host's
 * connect-src already allows our origin for the API), fetched once per page by the first banner
 * that needs it. A failure leaves the reader with English.
 */
function loadMessages(api: string, lang: Locale): Promise<Partial<Messages>> {
  const url = `${api}/embed-${lang}.json?v=${__GS_I18N_VERSION__}`;
  let p = catalogs.get(url);
  if (!p) {
    p = fetch(url, { credentials: 'omit' })
      .then((r) => (r.ok ? (r.json() as Promise<Partial<Messages>>) : {}))
      .catch(() => ({}));
    catalogs.set(url, p);
  }
  return p;
}

/** A bug in the banner ends the banner, never the host page's scripts. */
class Guard extends Component<{ children: ReactNode; onError: () => void }, { failed: boolean }> {
  override state = { failed: false };
  override componentDidCatch(err: unknown) {
    warn(err);
    this.setState({ failed: true });
    this.props.onError();
  }
  override render() {
    return this.state.failed ? null : this.props.children;
  }
}

type MountOptions = Omit<BannerOptions, 'loadDonate'> & { initial?: CampaignProgress };

function render(host: HTMLElement, opts: MountOptions, cleanup?: () => void): () => void {
  host.setAttribute('data-placement', opts.placement ?? 'inline');
  host.setAttribute('data-campaign', opts.campaign);
  const shadow = host.attachShadow({ mode: 'open' });
  adoptStyles(shadow, barCss);
  const mountPoint = document.createElement('div');
  shadow.append(mountPoint);
  const root = createRoot(mountPoint);
  const remove = () => {
    try {
      root.unmount();
    } finally {
      host.remove();
      cleanup?.();
    }
  };
  const later = () => setTimeout(remove);
  root.render(
    <Guard onError={later}>
      <BannerView {...opts} loadDonate={() => loadDonate(opts.api)} loadMessages={(l) => loadMessages(opts.api, l)} onHide={later} />
    </Guard>,
  );
  return remove;
}

/**
 * A bottom banner is fixed over the page: without room reserved below the content it would
 * cover the end of every article. An empty block at the end of the body keeps its height.
 */
function reserveBottom(host: HTMLElement): () => void {
  const spacer = document.createElement('div');
  spacer.setAttribute('aria-hidden', 'true');
  spacer.setAttribute('data-groundswell-spacer', '');
  spacer.style.cssText = 'display:block;height:0;margin:0;padding:0;border:0';
  host.before(spacer);
  const fit = () => {
    spacer.style.height = `${host.offsetHeight}px`;
  };
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(fit) : undefined;
  ro?.observe(host);
  fit();
  return () => {
    ro?.disconnect();
    spacer.remove();
  };
}

function mountScript(script: HTMLScriptElement, api: string) {
  const campaign = script.getAttribute('data-campaign');
  if (!campaign || script.hasAttribute(DONE)) return;
  const raw = script.getAttribute('data-placement');
  const placement: Placement = raw === 'bottom' || raw === 'inline' ? raw : 'top';
  if (placement !== 'inline' && !document.body) return; // retried on DOMContentLoaded
  script.setAttribute(DONE, '');
  // Dismissed, or seen often enough lately (frequency cap, placed banners only): no element at
  // all, so not even an empty box moves the host page.
  if (isDismissed(campaign) || (placement !== 'inline' && isCapped(campaign))) return;
  // Asked for before anything renders: the answer travels while the banner is being built.
  const opts = { ...options(script, null, api), campaign, placement, ...early(api, campaign) };
  const host = document.createElement('groundswell-banner');
  if (placement === 'inline') script.after(host);
  else if (placement === 'top') document.body.prepend(host);
  else document.body.append(host);
  render(host, opts, placement === 'bottom' ? reserveBottom(host) : undefined);
}

function mountDivs(script: HTMLScriptElement | null, api: string) {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-groundswell-campaign]:not([${DONE}])`)) {
    const campaign = el.getAttribute('data-groundswell-campaign');
    if (!campaign) continue;
    el.setAttribute(DONE, '');
    if (isDismissed(campaign)) continue;
    const host = document.createElement('groundswell-banner');
    el.append(host);
    try {
      render(host, { ...options(el, script, api), campaign, placement: 'inline', ...early(api, campaign) });
    } catch (err) {
      warn(err);
    }
  }
}

const groundswell: GroundswellGlobal = {
  version: '1',
  scan(script = null) {
    const api = apiBase(script);
    const run = () => {
      try {
        if (script) mountScript(script, api);
        mountDivs(script, api);
      } catch (err) {
        warn(err);
      }
    };
    run();
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, { once: true });
  },
  mount(el, opts) {
    const host = document.createElement('groundswell-banner');
    el.append(host);
    return render(host, { api: opts.api ?? apiBase(currentScript), dismissDays: 7, placement: 'inline', ...opts });
  },
  consent(granted) {
    setConsent(granted === true);
  },
};

try {
  // A second copy of the script (two tags for two campaigns) reuses the first copy's global.
  if (currentScript?.getAttribute('data-consent') === 'required') requireConsent();
  // The one-shot "gave" marker of a reader back from /thanks (lib/gave.ts), read before any banner renders.
  takeMarker();
  const existing = window.Groundswell;
  if (existing && typeof existing.scan === 'function') existing.scan(currentScript);
  else {
    groundswell.runtime = { Fragment, jsx, jsxs, useEffect, useId, useRef, useState };
    window.Groundswell = groundswell;
    groundswell.scan(currentScript);
  }
} catch (err) {
  warn(err);
}
