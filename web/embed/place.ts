/**
 * What embed.js (the first paint, web/embed/boot.ts) and embed-app.js (the banner that takes
 * over, web/embed/app.tsx) both do with the host page: find our server, reserve room for a
 * bottom banner, and the hand-over between the two scripts on window.Groundswell.
 */
import type { ComponentType } from 'react';
import type { BannerOptions } from '../components/BannerView.js';
import type { DonatePanelProps } from '../components/DonatePanel.js';
import type { CampaignProgress } from '../lib/api.js';
import type { StoreState } from '../lib/store.js';

export const DONE = 'data-groundswell-mounted';

export function warn(...args: unknown[]) {
  try {
    console.warn('[groundswell]', ...args);
  } catch {
    /* no console */
  }
}

/** The Groundswell server is wherever embed.js came from (PUBLIC_URL may carry a path). */
export function apiBase(script: HTMLScriptElement | null): string {
  const src = script?.src || document.querySelector<HTMLScriptElement>('script[src*="/embed.js"]')?.src || '';
  try {
    return new URL('.', new URL(src, location.href)).href.replace(/\/$/, '');
  } catch {
    return location.origin;
  }
}

/**
 * A bottom banner is fixed over the page: without room reserved below the content it would
 * cover the end of every article. An empty block at the end of the body keeps its height.
 */
export function reserveBottom(host: HTMLElement): () => void {
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

export type MountOptions = Omit<BannerOptions, 'loadDonate'> & { initial?: CampaignProgress };

/** A banner's options from its element's attributes (an inline <div>'s, else its script's). */
export function options(el: HTMLElement, fallback: HTMLElement | null, api: string): Omit<MountOptions, 'campaign'> {
  const attr = (name: string) => el.getAttribute(name) ?? fallback?.getAttribute(name) ?? undefined;
  const days = Number(attr('data-dismiss-days'));
  return {
    api,
    accent: attr('data-accent'),
    locale: attr('data-locale'),
    dismissDays: attr('data-dismiss-days') !== undefined && Number.isFinite(days) && days >= 0 ? days : 7,
  };
}

/** A banner embed.js painted from the server's markup, for embed-app.js to take over. */
export interface Painted {
  host: HTMLElement;
  /** The server-rendered banner inside host's shadow root. */
  view: HTMLElement;
  opts: MountOptions;
  cleanup?: () => void;
  /** What the reader clicked before the banner came alive: done again once it has. */
  intent?: 'donate' | 'close';
}

/** A call made on window.Groundswell before embed-app.js arrived, made again once it has. */
export type Queued =
  | { name: 'scan'; script: HTMLScriptElement | null }
  | { name: 'mount'; el: Element; opts: Partial<BannerOptions> & { campaign: string }; stop?: () => void; cancelled?: boolean };

/** What embed.js hands embed-app.js: this page view's state and the work left to it. */
export interface Handover {
  store: StoreState;
  gave: Set<string>;
  variants: Map<string, string>;
  /** The server's progress answers folded into embed.js, keyed by slug, and their figures. */
  folded: Record<string, CampaignProgress>;
  figures: unknown;
  /** The server embed.js came from (its folded answers are that server's). */
  api: string;
  painted: Painted[];
  queue: Queued[];
  /** Set by embed-app.js once it has taken over. */
  taken?: boolean;
}

export interface GroundswellGlobal {
  version: string;
  /** Mounts every banner described by `script` and every unmounted [data-groundswell-campaign]. */
  scan(script?: HTMLScriptElement | null): void;
  /** Programmatic mount (single-page apps): renders a banner inside `el`. */
  mount(el: Element, opts: Partial<BannerOptions> & { campaign: string }): () => void;
  /** With data-consent="required": nothing is stored in the host page until this says true. */
  consent(granted: boolean): void;
  /** What embed-donate.js builds on: embed-app.js's Preact (React API) and JSX runtime. */
  runtime?: Record<string, unknown>;
  /** Set by embed-donate.js when it has run. */
  donatePanel?: ComponentType<DonatePanelProps>;
  /** embed.js → embed-app.js (internal). */
  _boot?: Handover;
}

declare global {
  interface Window {
    Groundswell?: GroundswellGlobal;
  }
}
