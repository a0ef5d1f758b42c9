import { useEffect, useState } from 'react';
import { GiveOptions, OtherWays } from '../components/GiveOptions.js';
import { liveStatus, matchText, plural, resultText, stretchText, timeLeft } from '../components/format.js';
import { GoalMeter } from '../components/GoalMeter.js';
import { ApiError, type CampaignProgress, fetchProgress } from '../lib/api.js';
import { subscribeProgress } from '../lib/live.js';
import { API, mountPage, returnLink } from './shared.js';

/** /donate/:slug — the banner's donate flow as a whole page (links, e-mails, no-JS-widget sites). */
function DonatePage({ slug }: { slug: string }) {
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
        document.title = `Donate to ${first.title}`;
        stop = subscribeProgress(API, slug, setP);
      })
      .catch((e: unknown) =>
        setError(e instanceof ApiError && e.status === 404 ? 'There is no campaign at this address.' : (e as Error).message),
      );
    return () => stop?.();
  }, [slug]);

  if (error) {
    return (
      <>
        <h1>Campaign not found</h1>
        <p role="alert">{error}</p>
        <p>
          <a href="/">Back to the front page</a>
        </p>
      </>
    );
  }
  if (!p) return <p>Loading the campaign…</p>;
  const status = liveStatus(p, Date.now());
  const view = status === p.status ? p : { ...p, status };
  const match = matchText(view);
  const ended = status === 'ended' || status === 'archived';
  const stretch = stretchText(view);
  return (
    <>
      {canceled ? (
        <p className="notice" role="status">
          Your checkout was canceled and nothing was charged. You can try again below
          {back ? (
            <>
              {' '}
              or <a href={back.href}>go back to {back.host}</a>
            </>
          ) : null}
          .
        </p>
      ) : null}
      <h1>{p.headline}</h1>
      {p.message ? <p className="lede">{p.message}</p> : null}
      {stretch && !ended ? <p className="lede">{stretch}</p> : null}
      <GoalMeter progress={view} />
      <p className="stats">
        {plural(p.donors, 'donor', 'donors')} · {timeLeft(view, Date.now())}
        {match ? ` · ${match}` : ''}
      </p>
      {ended ? (
        <section className="card" aria-labelledby="give" data-state="ended">
          <h2 id="give" style={{ marginTop: 0 }}>
            This campaign has ended
          </h2>
          <p>{resultText(view)}</p>
          {p.followOn ? (
            <p>
              Our work continues:{' '}
              <a className="btn accent" href={`/donate/${encodeURIComponent(p.followOn.slug)}`}>
                Give to {p.followOn.title}
              </a>
            </p>
          ) : null}
          <OtherWays text={p.otherWays} />
        </section>
      ) : (
        <section className="card" aria-labelledby="give">
          <h2 id="give" style={{ marginTop: 0 }}>
            Make your gift
          </h2>
          <GiveOptions api={API} progress={view} showOtherWays />
        </section>
      )}
    </>
  );
}

const slug = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() ?? '');
mountPage('app', <DonatePage slug={slug} />);
