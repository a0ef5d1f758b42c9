import { useEffect, useState } from 'react';
import { GiveOptions, OtherWays } from '../components/GiveOptions.js';
import { donorsText, liveStatus, matchText, resultText, stretchText, timeLeft } from '../components/format.js';
import { GoalMeter } from '../components/GoalMeter.js';
import { ApiError, type CampaignProgress, fetchProgress } from '../lib/api.js';
import type { Lang, T } from '../lib/i18n.js';
import { subscribeProgress } from '../lib/live.js';
import { rich } from '../components/rich.js';
import { API, mountPage, returnLink } from './shared.js';

/** /donate/:slug — the banner's donate flow as a whole page (links, e-mails, no-JS-widget sites). */
function DonatePage({ slug, t, l }: { slug: string; t: T; l: Lang }) {
  const [p, setP] = useState<CampaignProgress | null>(null);
  const [error, setError] = useState('');
  const params = new URLSearchParams(location.search);
  const canceled = params.has('canceled');
  const back = returnLink();

  useEffect(() => {
    let stop: (() => void) | undefined;
    fetchProgress(API, slug)
      .then((first) => {
        setP(first);
        document.title = t('donateTitle', { title: first.title });
        stop = subscribeProgress(API, slug, setP);
      })
      .catch((e: unknown) => setError(e instanceof ApiError && e.status === 404 ? t('noCampaign') : (e as Error).message));
    return () => stop?.();
  }, [slug]);

  if (error) {
    return (
      <>
        <h1>{t('notFound')}</h1>
        <p role="alert">{error}</p>
        <p>
          <a href="/">{t('frontPage')}</a>
        </p>
      </>
    );
  }
  if (!p) return <p>{t('loadingCampaign')}</p>;
  const status = liveStatus(p, Date.now());
  const view = status === p.status ? p : { ...p, status };
  const tag = l.tag;
  const match = matchText(view, t, tag);
  const ended = status === 'ended' || status === 'archived';
  const stretch = stretchText(view, t, tag);
  const copy = p.copy?.[l.lang];
  return (
    <>
      {canceled ? (
        <p className="notice" role="status">
          {back ? rich(t('canceledBack'), { link: <a href={back.href}>{t('goBackTo', { host: back.host })}</a> }) : t('canceled')}
        </p>
      ) : null}
      <h1>{copy?.headline ?? p.headline}</h1>
      {(copy?.message ?? p.message) ? <p className="lede">{copy?.message ?? p.message}</p> : null}
      {stretch && !ended ? <p className="lede">{stretch}</p> : null}
      <GoalMeter progress={view} t={t} locale={tag} />
      <p className="stats">
        {donorsText(p.donors, t, tag)} · {timeLeft(view, Date.now(), t, tag)}
        {match ? ` · ${match}` : ''}
      </p>
      {ended ? (
        <section className="card" aria-labelledby="give" data-state="ended">
          <h2 id="give" style={{ marginTop: 0 }}>
            {t('endedTitle')}
          </h2>
          <p>{resultText(view, t, tag)}</p>
          {p.followOn ? (
            <p>
              {t('continuesLead')}{' '}
              <a
                className="btn accent"
                href={`/donate/${encodeURIComponent(p.followOn.slug)}${location.search.includes('locale=') ? `?locale=${l.lang}` : ''}`}
              >
                {t('giveTo', { title: p.followOn.title })}
              </a>
            </p>
          ) : null}
          <OtherWays text={p.otherWays} t={t} />
        </section>
      ) : (
        <section className="card" aria-labelledby="give">
          <h2 id="give" style={{ marginTop: 0 }}>
            {t('makeGift')}
          </h2>
          <GiveOptions api={API} progress={view} locale={tag} lang={l.lang} t={t} showOtherWays />
        </section>
      )}
    </>
  );
}

const slug = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() ?? '');
mountPage('app', (t, l) => <DonatePage slug={slug} t={t} l={l} />);
