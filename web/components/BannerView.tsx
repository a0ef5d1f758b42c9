import { type ComponentType, useEffect, useRef, useState } from 'react';
import { type CampaignProgress, fetchProgress } from '../lib/api.js';
import { isDismissed, rememberDismissal } from '../lib/dismiss.js';
import { subscribeProgress } from '../lib/live.js';
import { hasGiven } from '../lib/gave.js';
import type { DonatePanelProps } from './DonatePanel.js';
import { liveStatus, matchText, plural, resultText, stretchText, timeLeft } from './format.js';
import { GoalMeter } from './GoalMeter.js';

export type Placement = 'top' | 'bottom' | 'inline';

export interface BannerOptions {
  /** Origin of the Groundswell server, e.g. "https://give.example.org" ('' = same origin). */
  api: string;
  campaign: string;
  placement?: Placement;
  /** BCP 47 tag for numbers and money (data-locale); the browser's own by default. */
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
  /** The first progress answer, when the loader asked for it before rendering. */
  first?: Promise<CampaignProgress>;
}

/**
 * The banner itself, rendered into a shadow root by the embed loader or by the React component.
 * It renders from one API call, then follows the live feed. onHide tells the owner to remove
 * the host element (dismissed, or the campaign could not be loaded: nothing is better than a
 * broken box on someone else's page).
 */
export function BannerView(props: BannerOptions & { onHide?: (why: 'dismissed' | 'unavailable') => void; initial?: CampaignProgress }) {
  const { api, campaign, locale, live = true } = props;
  const [p, setP] = useState<CampaignProgress | null>(props.initial ?? null);
  const [hidden, setHidden] = useState(() => isDismissed(campaign));
  const [open, setOpen] = useState(false);
  const [Panel, setPanel] = useState<ComponentType<DonatePanelProps> | null>(null);
  const donateRef = useRef<HTMLButtonElement>(null);
  const onHide = useRef(props.onHide);
  onHide.current = props.onHide;
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

  if (hidden) return null;

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

  if (!p) {
    return (
      <div className="gs-root" style={style}>
        <div className="gs" aria-busy="true" aria-label="Loading fundraising campaign">
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

  const now = Date.now();
  const status = liveStatus(p, now);
  const view = status === p.status ? p : { ...p, status };
  const match = matchText(view, locale);
  const ended = status === 'ended' || status === 'archived';
  // SPEC §13: a reader back from /thanks is thanked, not asked again; an ended campaign shows
  // its result and, if the owner named one, the follow-on campaign: never a button that fails.
  const thanked = !ended && hasGiven(campaign);
  const stretch = stretchText(view, locale);
  const headline = thanked ? 'Thank you for your gift!' : p.headline;
  const message = ended
    ? `${resultText(view, locale)}${p.followOn ? ` Our work continues: ${p.followOn.title}.` : ''}`
    : thanked
      ? `You are part of ${p.title}.${stretch ? ` ${stretch}` : ''}`
      : (stretch ?? p.message);
  const state = ended ? 'ended' : thanked ? 'thanks' : 'appeal';
  return (
    <div className="gs-root" style={style}>
      <section className="gs" aria-label={`Fundraising: ${p.title}`} data-state={state}>
        {p.testMode ? (
          <p className="tm" role="note" title="Payments are simulated: no real money moves">
            TEST MODE
          </p>
        ) : null}
        <div className="copy">
          <h2 className="hl" title={headline}>
            {headline}
          </h2>
          {message ? <p className="msg">{message}</p> : null}
        </div>
        <div className="mcol">
          <GoalMeter progress={view} locale={locale} />
        </div>
        <div className="sts">
          <p className="stats">
            {plural(p.donors, 'donor', 'donors', locale)} · {timeLeft(view, now, locale)}
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
              }}
            >
              Donate
            </button>
          ) : ended && p.followOn ? (
            <a className="gs-btn" href={`${api}/donate/${encodeURIComponent(p.followOn.slug)}`} target="_top">
              Give to {p.followOn.title}
            </a>
          ) : null}
        </div>
        <button type="button" className="x" aria-label="Close the fundraising banner" onClick={dismiss}>
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
          locale={locale}
          navigate={props.navigate}
        />
      ) : null}
    </div>
  );
}
