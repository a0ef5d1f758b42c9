import { type ComponentType, useEffect, useMemo, useRef, useState } from 'react';
import { formatNumber, type Locale, pluralCategory } from '../../common/i18n.js';
import { type CampaignProgress, fetchProgress } from '../lib/api.js';
import { beacon } from '../lib/beacon.js';
import { isDismissed, rememberDismissal } from '../lib/dismiss.js';
import { countImpression, isCapped } from '../lib/frequency.js';
import { hasGiven } from '../lib/gave.js';
import { browserLanguages, makeT, type Messages, resolveLang } from '../lib/i18n.js';
import { subscribeProgress } from '../lib/live.js';
import { bannerEn } from '../lib/messages/en-banner.js';
import { pickVariant } from '../lib/variant.js';
import type { DonatePanelProps } from './DonatePanel.js';
import { donorsText, liveStatus, matchText, resultText, stretchText, timeLeft } from './format.js';
import { GoalMeter } from './GoalMeter.js';

export type Placement = 'top' | 'bottom' | 'inline';

export interface BannerOptions {
  /** Origin of the Groundswell server, e.g. "https://give.example.org" ('' = same origin). */
  api: string;
  campaign: string;
  placement?: Placement;
  /**
   * The reader's language (data-locale, a BCP 47 tag: "es", "fr-CA", "ar"); the browser's
   * languages otherwise. Picks the catalog (en, es, fr, de, ar) and formats numbers and money.
   */
  locale?: string;
  /** Accent colour (data-accent); any CSS colour. --gs-accent on an ancestor works too. */
  accent?: string;
  /** How long "close" hides the banner for this campaign; 0 = this page view only. */
  dismissDays?: number;
  /** Live updates from the event stream (default true). */
  live?: boolean;
  /** Tests and previews: where Checkout opens. */
  navigate?: (url: string) => void;
  /** Loads the donate dialog (its code is not part of the first paint): the loader's script or chunk. */
  loadDonate: () => Promise<ComponentType<DonatePanelProps>>;
  /** Loads a catalog other than English (embed.js: embed-<lang>.json; the component: a chunk). */
  loadMessages?: (lang: Locale) => Promise<Partial<Messages>>;
  /** The first progress answer, when the loader asked for it before rendering. */
  first?: Promise<CampaignProgress>;
}

/** Campaigns whose banner was counted in this page view (impression beacon, frequency count). */
const shown = new Set<string>();
/** A banner embed.js painted has been counted there (web/embed/boot.ts). */
export const countedBefore = (campaign: string) => shown.add(campaign);
const opened = new Set<string>();

/**
 * The banner itself, rendered into a shadow root by the embed loader or by the React component.
 * It renders from one API call (and, for a reader of another language than English, its catalog),
 * then follows the live feed. onHide tells the owner to remove the host element (dismissed, capped,
 * or the campaign could not be loaded: nothing is better than a broken box on someone else's page).
 */
export function BannerView(
  props: BannerOptions & {
    onHide?: (why: 'dismissed' | 'unavailable' | 'capped') => void;
    initial?: CampaignProgress;
    /** The time it renders at (the server's clock when the server renders it: embed-markup.tsx). */
    now?: number;
  },
) {
  const { api, campaign, locale, live = true, placement = 'inline' } = props;
  const L = useMemo(() => resolveLang([locale, ...browserLanguages()]), [locale]);
  const [msgs, setMsgs] = useState<Partial<Messages> | null>(L.lang === 'en' || !props.loadMessages ? {} : null);
  const t = useMemo(() => makeT(L.lang, msgs ?? {}, bannerEn), [L.lang, msgs]);
  const [p, setP] = useState<CampaignProgress | null>(props.initial ?? null);
  const [hidden, setHidden] = useState(() => isDismissed(campaign));
  const [open, setOpen] = useState(false);
  const [Panel, setPanel] = useState<ComponentType<DonatePanelProps> | null>(null);
  const donateRef = useRef<HTMLButtonElement>(null);
  const onHide = useRef(props.onHide);
  onHide.current = props.onHide;
  const loadMessages = useRef(props.loadMessages);
  // Re-render at endsAt: the donate button goes away at the end even if no update arrives.
  const [, setTick] = useState(0);
  const endsAt = p ? Date.parse(p.endsAt) : Number.NaN;
  useEffect(() => {
    const ms = endsAt - Date.now();
    if (!(ms > 0) || ms > 2_147_483_647) return;
    const t = setTimeout(() => setTick((n) => n + 1), ms + 50);
    return () => clearTimeout(t);
  }, [endsAt]);

  useEffect(() => {
    const load = loadMessages.current;
    if (L.lang === 'en' || !load) return setMsgs({});
    let cancelled = false;
    // A catalog that cannot be had leaves the reader with English rather than no banner.
    load(L.lang).then(
      (m) => !cancelled && setMsgs(m),
      () => !cancelled && setMsgs({}),
    );
    // While it travels (this runs after the placeholder's paint): Intl's start-up, tens of
    // milliseconds of ICU data in a fresh page, which the numbers the catalog brings would wait on.
    formatNumber(0, L.tag);
    pluralCategory(L.lang, 0);
    return () => {
      cancelled = true;
    };
  }, [L.lang]);
  useEffect(() => {
    if (hidden) return;
    let stop: (() => void) | undefined;
    let cancelled = false;
    const follow = () => {
      if (live && !cancelled) stop = subscribeProgress(api, campaign, (next) => setP(next));
    };
    if (props.initial) follow();
    else {
      (props.first ?? fetchProgress(api, campaign))
        .then((first) => {
          if (cancelled) return;
          if (first.status === 'archived') throw new Error('archived');
          setP(first);
          follow();
        })
        .catch((err: unknown) => {
          if (cancelled) return;
          console.warn(`[groundswell] campaign "${campaign}" is unavailable:`, (err as Error)?.message ?? err);
          setHidden(true);
          onHide.current?.('unavailable');
        });
    }
    return () => {
      cancelled = true;
      stop?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, campaign, live, hidden]);

  const now = props.now ?? Date.now();
  const status = p ? liveStatus(p, now) : null;
  const ended = status === 'ended' || status === 'archived';
  // SPEC §13: a reader back from /thanks is thanked, not asked again; an ended campaign shows
  // its result and, if the owner named one, the follow-on campaign: never a button that fails.
  const thanked = !!p && !ended && hasGiven(campaign);
  const state = !p || !msgs ? null : ended ? 'ended' : thanked ? 'thanks' : 'appeal';
  const variant = p && state === 'appeal' ? pickVariant(campaign, p.variants, L.lang) : null;
  // Frequency (SPEC §13): a placed banner the reader has seen often enough lately stays away;
  // inline mounts are part of the host's page and always show (and are not counted).
  const capped = !!p && state === 'appeal' && placement !== 'inline' && !shown.has(campaign) && isCapped(campaign, p.frequency);
  useEffect(() => {
    if (hidden || !p || state !== 'appeal') return;
    if (capped) {
      setHidden(true);
      onHide.current?.('capped');
      return;
    }
    // One impression per campaign and page view: the banner is on screen with its appeal.
    if (shown.has(campaign)) return;
    shown.add(campaign);
    if (placement !== 'inline') countImpression(campaign, p.frequency);
    beacon(api, campaign, 'impression', variant?.id ?? null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hidden, state, capped]);

  if (hidden || capped) return null;

  const dismiss = () => {
    rememberDismissal(campaign, props.dismissDays ?? 7);
    setHidden(true);
    onHide.current?.('dismissed');
  };
  // The dialog's code comes when the reader points at Donate (or clicks: then it opens on arrival).
  const loadPanel = () => {
    if (Panel) return;
    props.loadDonate().then(
      (C) => setPanel(() => C),
      (err: unknown) => {
        console.warn('[groundswell] the donate dialog could not be loaded:', (err as Error)?.message ?? err);
        setOpen(false);
      },
    );
  };
  const style = props.accent ? ({ '--gs-accent': props.accent } as Record<string, string>) : undefined;

  if (!p || !msgs || !status) {
    return (
      <div className="gs-root" style={style} dir={L.dir} lang={L.tag}>
        <div className="gs" aria-busy="true" aria-label={t('loading')}>
          <div className="copy">
            <div className="sk" style={{ width: '70%', height: 20 }} />
            <div className="sk" style={{ width: '90%' }} />
          </div>
          <div className="mcol">
            <div className="track" />
            <div className="sk" style={{ width: '60%' }} />
          </div>
        </div>
      </div>
    );
  }

  const view = status === p.status ? p : { ...p, status };
  const tag = L.tag;
  const match = matchText(view, t, tag);
  const stretch = stretchText(view, t, tag);
  // Copy per language (SPEC §13), then the campaign's default; a variant's fields come first.
  const copy = p.copy?.[L.lang];
  const headline = thanked ? t('thanksHeadline') : (variant?.headline ?? copy?.headline ?? p.headline);
  const appeal = variant?.message ?? copy?.message ?? p.message;
  const message = ended
    ? `${resultText(view, t, tag)}${p.followOn ? ` ${t('continues', { title: p.followOn.title })}` : ''}`
    : thanked
      ? `${t('thanksMessage', { title: p.title })}${stretch ? ` ${stretch}` : ''}`
      : (stretch ?? appeal);
  return (
    <div className="gs-root" style={style} dir={L.dir} lang={L.tag}>
      <section className="gs" aria-label={t('region', { title: p.title })} data-state={state} data-variant={variant?.id}>
        {p.testMode ? (
          <p className="tm" role="note" title={t('testModeTitle')}>
            {t('testMode')}
          </p>
        ) : null}
        <div className="copy">
          <h2 className="hl" title={headline}>
            {headline}
          </h2>
          {message ? <p className="msg">{message}</p> : null}
        </div>
        <div className="mcol">
          <GoalMeter progress={view} t={t} locale={tag} />
        </div>
        <div className="sts">
          <p className="stats">
            {donorsText(p.donors, t, tag)} · {timeLeft(view, now, t, tag)}
          </p>
          {match ? <p className="stats">{match}</p> : null}
        </div>
        <div className="cta">
          {status === 'open' && !thanked ? (
            <button
              type="button"
              className="gs-btn"
              ref={donateRef}
              aria-haspopup="dialog"
              aria-busy={open && !Panel}
              onPointerEnter={loadPanel}
              onFocus={loadPanel}
              onClick={() => {
                loadPanel();
                setOpen(true);
                if (!opened.has(campaign)) {
                  opened.add(campaign);
                  beacon(api, campaign, 'open', variant?.id ?? null);
                }
              }}
            >
              {variant?.button ?? t('donate')}
            </button>
          ) : ended && p.followOn ? (
            <a
              className="gs-btn"
              href={`${api}/donate/${encodeURIComponent(p.followOn.slug)}${L.lang === 'en' ? '' : `?locale=${L.lang}`}`}
              target="_top"
            >
              {t('giveTo', { title: p.followOn.title })}
            </a>
          ) : null}
        </div>
        <button type="button" className="x" aria-label={t('close')} onClick={dismiss}>
          ×
        </button>
      </section>
      {Panel ? (
        <Panel
          open={open && !ended}
          onClose={() => setOpen(false)}
          returnFocus={donateRef}
          api={api}
          progress={view}
          locale={tag}
          lang={L.lang}
          messages={msgs}
          variant={variant?.id ?? null}
          navigate={props.navigate}
        />
      ) : null}
    </div>
  );
}
