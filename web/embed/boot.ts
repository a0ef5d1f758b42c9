/**
 * embed.js: one <script> tag on any page of any origin.
 *
 *   <script src="https://give.example.org/embed.js" data-campaign="year-end" async></script>
 *   <div data-groundswell-campaign="year-end"></div>   (inline mounts, any number)
 *
 * Attributes: data-placement="top|bottom|inline" (script only; top by default), data-accent,
 * data-locale, data-dismiss-days, data-consent="required" (store nothing until
 * Groundswell.consent(true)). One global at most; never throws into the host page.
 *
 * Two scripts (issue 12, first banner paint): this one is small and has no framework. It decides
 * what the reader should see (dismissed, frequency cap, consent, "gave" marker, language, copy
 * variant) and, when the server folded that banner in ready-made (server/site/embed-fold.ts: the
 * progress and the banner's markup, rendered by the same component), puts it on the page at once.
 * Then it loads embed-app.js (web/embed/app.tsx: Preact and the live banner), which takes every
 * painted banner over in place and does everything else: inline <div> mounts, other languages,
 * banners the server did not fold. A reader's click that comes before it is done again after.
 */
import type { PublicVariant } from '../../common/api.js';
import type { Placement } from '../components/BannerView.js';
import { daysLeft } from '../components/format.js';
import { adoptStyles, barCss } from '../components/styles.js';
import type { CampaignProgress } from '../lib/api.js';
import { isDismissed, rememberDismissal } from '../lib/dismiss.js';
import { beacon } from '../lib/beacon.js';
import { countImpression, isCapped } from '../lib/frequency.js';
import { gaveSeen, hasGiven, takeMarker } from '../lib/gave.js';
import { browserLanguages, resolveLang } from '../lib/i18n.js';
import { chosenVariants, pickVariant } from '../lib/variant.js';
import { requireConsent, setConsent, storeState } from '../lib/store.js';
import { apiBase, DONE, options, type GroundswellGlobal, type Handover, type Painted, type Queued, reserveBottom, warn } from './place.js';

/** Content hash of the embed-app.js this build goes with (web/vite.embed.config.ts). */
declare const __GS_APP_VERSION__: string;

// Captured synchronously: document.currentScript is null once this first run is over.
const currentScript = document.currentScript as HTMLScriptElement | null;

/** One banner's markup as the server rendered it: per reader tag, per variant id ('' = none);
 * a tag whose markup is another tag's names that tag. `d`: the days left it counts. */
type Markup = Record<string, { d: number; t: Record<string, Record<string, string> | string> }>;

let folded: Record<string, CampaignProgress> = {};
let markup: Markup = {};
let figures: unknown = {};
try {
  folded = JSON.parse('__GS_FOLDED__');
  figures = JSON.parse('__GS_FIGURES__');
  markup = JSON.parse('__GS_MARKUP__');
} catch {
  // served as built (no server folding): embed-app.js renders every banner
}

/** The server's markup for this reader, or null when only the live banner can be right. */
function readyMarkup(campaign: string, locale: string | undefined): { html: string; variant: string | null; tag: string } | null {
  const p = folded[campaign];
  const m = markup[campaign];
  if (!p || !m || hasGiven(campaign)) return null;
  const now = Date.now();
  // Open by the reader's clock, counting the same days left as the server did.
  if (p.status !== 'open' || now >= Date.parse(p.endsAt) || daysLeft(p, now) !== m.d) return null;
  const L = resolveLang([locale, ...browserLanguages()]);
  if (L.lang !== 'en') return null;
  const own = m.t[L.tag];
  const byVariant = typeof own === 'string' ? m.t[own] : own;
  if (!byVariant || typeof byVariant !== 'object') return null;
  const variant: PublicVariant | null = pickVariant(campaign, p.variants, L.lang);
  const html = byVariant[variant?.id ?? ''];
  return html ? { html, variant: variant?.id ?? null, tag: L.tag } : null;
}

/** The banner the script tag asks for, painted where it asks (top, bottom, or where the tag is). */
function paintScript(boot: Handover, script: HTMLScriptElement, api: string): void {
  const campaign = script.getAttribute('data-campaign');
  if (!campaign || script.hasAttribute(DONE)) return;
  const raw = script.getAttribute('data-placement');
  const placement: Placement = raw === 'bottom' || raw === 'inline' ? raw : 'top';
  if (placement !== 'inline' && !document.body) return; // retried on DOMContentLoaded
  paint(boot, script, null, campaign, placement, api, (host) => {
    if (placement === 'inline') script.after(host);
    else if (placement === 'top') document.body.prepend(host);
    else document.body.append(host);
  });
}

/** Every inline <div data-groundswell-campaign> already in the page. */
function paintDivs(boot: Handover, script: HTMLScriptElement | null, api: string): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-groundswell-campaign]:not([${DONE}])`)) {
    const campaign = el.getAttribute('data-groundswell-campaign');
    if (campaign) paint(boot, el, script, campaign, 'inline', api, (host) => el.append(host));
  }
}

/**
 * Paints one banner from the server's markup, or leaves it (unmarked) to embed-app.js, which
 * mounts it as before: once it has taken over (a script in <head> waits for the body), for
 * another server, or when only the live banner can be right.
 */
function paint(
  boot: Handover,
  el: HTMLElement,
  fallback: HTMLElement | null,
  campaign: string,
  placement: Placement,
  api: string,
  place: (host: HTMLElement) => void,
): void {
  if (boot.taken || api !== boot.api) return;
  const p = folded[campaign];
  // Dismissed, or seen often enough lately: no element at all (embed-app.js agrees: it is marked done).
  if (isDismissed(campaign) || (p && placement !== 'inline' && isCapped(campaign, p.frequency))) {
    el.setAttribute(DONE, '');
    return;
  }
  const opts = { ...options(el, fallback, api), campaign, placement, initial: p };
  const ready = p && readyMarkup(campaign, opts.locale);
  if (!ready) return;
  el.setAttribute(DONE, '');
  const host = document.createElement('groundswell-banner');
  host.setAttribute('data-placement', placement);
  host.setAttribute('data-campaign', campaign);
  const shadow = host.attachShadow({ mode: 'open' });
  adoptStyles(shadow, barCss);
  const view = document.createElement('div');
  view.innerHTML = ready.html;
  // Styles come as data (a strict CSP may forbid style attributes) and go in through the CSSOM.
  for (const e of view.querySelectorAll<HTMLElement>('[data-gs-style]')) {
    e.style.cssText = e.getAttribute('data-gs-style') ?? '';
    e.removeAttribute('data-gs-style');
  }
  const root = view.firstElementChild as HTMLElement | null;
  // The server's markup is shared by the tags that read the same; the root names this reader's.
  root?.setAttribute('lang', ready.tag);
  if (opts.accent) root?.style.setProperty('--gs-accent', opts.accent);
  shadow.append(view);
  place(host);
  const painted: Painted = { host, view, opts, cleanup: placement === 'bottom' ? reserveBottom(host) : undefined };
  view.addEventListener('click', (e) => {
    const b = (e.target as Element | null)?.closest?.('button');
    if (!b) return;
    painted.intent = b.classList.contains('x') ? 'close' : 'donate';
    if (appFailed) withoutApp(painted);
  });
  boot.painted.push(painted);
  // On screen with its appeal: counted here, as the live banner counts its own (BannerView), so a
  // reader who leaves before embed-app.js arrives is counted too.
  if (placement !== 'inline') countImpression(campaign, p.frequency);
  beacon(api, campaign, 'impression', ready.variant);
}

let appRequested = false;
let appFailed = false;

/**
 * embed-app.js could not be loaded (network, a blocker): the painted banner still works as a
 * plain one. Donate leads to the campaign's donate page in the top window, close hides it (and
 * is remembered), as the live banner's would.
 */
function withoutApp(p: Painted): void {
  const intent = p.intent;
  p.intent = undefined;
  if (intent === 'donate') window.open(`${p.opts.api}/donate/${encodeURIComponent(p.opts.campaign)}`, '_top');
  else if (intent === 'close') {
    rememberDismissal(p.opts.campaign, p.opts.dismissDays ?? 7);
    p.host.remove();
    p.cleanup?.();
  }
}
function loadApp(boot: Handover): void {
  if (appRequested) return;
  appRequested = true;
  const s = document.createElement('script');
  s.src = `${boot.api}/embed-app.js?v=${__GS_APP_VERSION__}`;
  s.async = true;
  // A host page whose CSP names our script by nonce names this one too.
  if (currentScript?.nonce) s.nonce = currentScript.nonce;
  s.onerror = () => {
    warn(`could not load ${s.src}`);
    appFailed = true;
    for (const p of boot.painted) withoutApp(p);
  };
  document.head.append(s);
}

function start(boot: Handover): GroundswellGlobal {
  const queue = (q: Queued) => {
    boot.queue.push(q);
    loadApp(boot);
  };
  return {
    version: '1',
    scan(script = null) {
      const api = apiBase(script);
      const run = () => {
        try {
          if (script) paintScript(boot, script, api);
          paintDivs(boot, script, api);
        } catch (err) {
          warn(err);
        }
      };
      run();
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, { once: true });
      boot.queue.push({ name: 'scan', script });
      // A painted banner is on screen: the app comes after that frame, so it never delays it.
      if (!boot.painted.length) loadApp(boot);
      else {
        let later = false;
        const go = () => {
          if (later) return;
          later = true;
          setTimeout(() => loadApp(boot));
        };
        requestAnimationFrame(go);
        setTimeout(go, 100);
      }
    },
    mount(el, opts) {
      const q: Queued = { name: 'mount', el, opts };
      queue(q);
      return () => {
        q.cancelled = true;
        q.stop?.();
      };
    },
    consent(granted) {
      setConsent(granted === true);
    },
  };
}

try {
  const existing = window.Groundswell;
  const consentRequired = currentScript?.getAttribute('data-consent') === 'required';
  // A second copy of the script (two tags for two campaigns) reuses the first copy's global (and
  // its storage state, shared with embed-app.js).
  if (existing && typeof existing.scan === 'function') {
    if (consentRequired && existing._boot) existing._boot.store.required = true;
    existing.scan(currentScript);
  } else {
    if (consentRequired) requireConsent();
    // The one-shot "gave" marker of a reader back from /thanks (lib/gave.ts), read before any banner renders.
    takeMarker();
    const boot: Handover = {
      store: storeState(),
      gave: gaveSeen(),
      variants: chosenVariants(),
      folded,
      figures,
      api: apiBase(currentScript),
      painted: [],
      queue: [],
    };
    const g = start(boot);
    g._boot = boot;
    window.Groundswell = g;
    g.scan(currentScript);
  }
} catch (err) {
  warn(err);
}
