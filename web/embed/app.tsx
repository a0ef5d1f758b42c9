/**
 * embed-app.js: the live banner (Preact behind the React API), loaded by embed.js (web/embed/
 * boot.ts) once its first paint is on screen. It adopts embed.js's state (storage and consent,
 * the "gave" marker, chosen variants, the folded progress), takes every banner embed.js painted
 * over in place (the same markup, now live), makes again the calls made on window.Groundswell
 * meanwhile, and from then on is window.Groundswell: scan(), mount(), consent().
 */
import { Component, type ComponentType, Fragment, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { jsx, jsxs } from 'react/jsx-runtime';
import { createRoot } from 'react-dom/client';
import { learnFormatted } from '../../common/formatted.js';
import { type BannerOptions, BannerView, countedBefore, type Placement } from '../components/BannerView.js';
import type { DonatePanelProps } from '../components/DonatePanel.js';
import { adoptStyles, barCss } from '../components/styles.js';
import type { Locale } from '../../common/i18n.js';
import { type CampaignProgress, fetchProgress } from '../lib/api.js';
import { isDismissed } from '../lib/dismiss.js';
import { isCapped } from '../lib/frequency.js';
import { adoptGaveSeen } from '../lib/gave.js';
import type { Messages } from '../lib/i18n.js';
import { adoptStoreState, setConsent } from '../lib/store.js';
import { adoptChosenVariants } from '../lib/variant.js';
import { DONE, type GroundswellGlobal, type MountOptions, options, type Painted, apiBase, reserveBottom, warn } from './place.js';

// Captured synchronously: document.currentScript is null once this first run is over.
const currentScript = document.currentScript as HTMLScriptElement | null;

/** What embed.js handed over: its state, the banners it painted, the calls made meanwhile. */
const boot = window.Groundswell?._boot;

/**
 * The progress of the server's open campaigns as it was when embed.js was served: the server
 * folds it in (server/site/embed-fold.ts), so a banner needs no second request before it shows.
 * The live stream sends the current state as soon as it connects.
 */
const folded = new Map<string, CampaignProgress>(Object.entries(boot?.folded ?? {}));
try {
  adoptStoreState(boot?.store);
  adoptGaveSeen(boot?.gave);
  adoptChosenVariants(boot?.variants);
  // Their figures, formatted by the server for the common reader tags: a fresh page's first Intl
  // call (ICU's start-up) would otherwise cost tens of milliseconds before the banner renders.
  if (boot?.figures) learnFormatted(boot.figures as Parameters<typeof learnFormatted>[0]);
} catch (err) {
  warn(err);
}

/** Content hash of the embed-donate.js this build goes with (web/vite.embed.config.ts). */
declare const __GS_DONATE_VERSION__: string;
/** Content hash of the embed-<lang>.json catalogs this build goes with. */
declare const __GS_I18N_VERSION__: string;

/**
 * The progress folded into embed.js (rendered at once, in the same task), else the request,
 * sent before the banner renders; BannerView reports its failure.
 */
function early(api: string, campaign: string): { initial?: CampaignProgress; first?: Promise<CampaignProgress> } {
  const initial = api === (boot?.api ?? apiBase(currentScript)) ? folded.get(campaign) : undefined;
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

function render(host: HTMLElement, opts: MountOptions, cleanup?: () => void): () => void {
  host.setAttribute('data-placement', opts.placement ?? 'inline');
  host.setAttribute('data-campaign', opts.campaign);
  // A banner embed.js painted already has its shadow root and styles.
  const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  if (!shadow.adoptedStyleSheets?.length && !shadow.querySelector('style')) adoptStyles(shadow, barCss);
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
    return render(host, { api: opts.api ?? boot?.api ?? apiBase(currentScript), dismissDays: 7, placement: 'inline', ...opts });
  },
  consent(granted) {
    setConsent(granted === true);
  },
};

/** A banner embed.js painted: the live one renders beside it, then the painted one goes, in one
 * task (no frame shows both or neither); a click the reader made meanwhile is made again. */
function takeOver(p: Painted): void {
  countedBefore(p.opts.campaign);
  try {
    render(p.host, p.opts, p.cleanup);
  } finally {
    p.view.remove();
  }
  if (p.intent) p.host.shadowRoot?.querySelector<HTMLElement>(p.intent === 'close' ? '.x' : '.gs-btn')?.click();
}

try {
  groundswell.runtime = { Fragment, jsx, jsxs, useEffect, useId, useRef, useState };
  const g = window.Groundswell;
  if (boot && g && !boot.taken) {
    boot.taken = true;
    // The same object embed.js put there (a host page may hold it), now with the live methods.
    g.scan = groundswell.scan;
    g.mount = groundswell.mount;
    g.consent = groundswell.consent;
    g.runtime = groundswell.runtime;
    for (const p of boot.painted.splice(0)) {
      try {
        takeOver(p);
      } catch (err) {
        warn(err);
      }
    }
    for (const q of boot.queue.splice(0)) {
      try {
        if (q.name === 'scan') groundswell.scan(q.script);
        else if (!q.cancelled) q.stop = groundswell.mount(q.el, q.opts);
      } catch (err) {
        warn(err);
      }
    }
  } else if (!g) {
    // Loaded on its own (not through embed.js): it is the whole widget.
    window.Groundswell = groundswell;
    groundswell.scan(currentScript);
  }
} catch (err) {
  warn(err);
}
