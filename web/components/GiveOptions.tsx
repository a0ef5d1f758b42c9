import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { Locale } from '../../common/i18n.js';
import { checkAmount, formatMoney, minimumAmount, parseMoney } from '../../common/money.js';
import { type CampaignProgress, startPledge } from '../lib/api.js';
import type { T } from '../lib/i18n.js';
import { apiProblem, DonateForm, type DonateFormProps, moneyProblem } from './DonateForm.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The organisation's other ways to give (bank transfer, cheque, another processor): plain text. */
export function OtherWays({ text, t }: { text: string; t: T }) {
  if (!text.trim()) return null;
  return (
    <section className="gs-ways" aria-label={t('otherWays')}>
      <h3>{t('otherWays')}</h3>
      <p>{text}</p>
    </section>
  );
}

/**
 * What the dialog and the donate page offer: the amount chooser while payments work; while they
 * are down (the breaker, SPEC §13), a plain statement, the pledge form and the other ways to give.
 * A checkout refused with payments_unavailable switches here without waiting for the live feed.
 */
export function GiveOptions(props: DonateFormProps & { showOtherWays?: boolean }) {
  const [refused, setRefused] = useState(false);
  const [token, setToken] = useState<string | undefined>();
  const p = props.progress;
  const down = refused || p.payments === 'down';
  if (!down) {
    return (
      <>
        {p.captcha ? <Captcha provider={p.captcha.provider} siteKey={p.captcha.siteKey} onToken={setToken} t={props.t} /> : null}
        <DonateForm {...props} captchaToken={token} onPaymentsDown={() => setRefused(true)} />
        {props.showOtherWays ? <OtherWays text={p.otherWays} t={props.t} /> : null}
      </>
    );
  }
  return (
    <>
      <p className="gs-down" role="status">
        <strong>{props.t('downTitle')}</strong> {props.t('downText')}
      </p>
      <PledgeForm api={props.api} progress={p} locale={props.locale} lang={props.lang} t={props.t} />
      <OtherWays text={p.otherWays} t={props.t} />
    </>
  );
}

function PledgeForm({
  api,
  progress: p,
  locale,
  lang,
  t,
}: {
  api: string;
  progress: CampaignProgress;
  locale?: string;
  lang?: Locale;
  t: T;
}) {
  const id = useId();
  const presets = p.presets.length ? p.presets : [1000, 2500, 5000];
  const [frequency, setFrequency] = useState<'once' | 'monthly'>('once');
  const [preset, setPreset] = useState<number>(presets[Math.min(1, presets.length - 1)]!);
  const [custom, setCustom] = useState('');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [consent, setConsent] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ email: string; until: string } | null>(null);
  const money = (n: number) => formatMoney(n, p.currency, { locale, exact: true });
  const deleteOn = new Date(Date.now() + p.pledgeDays * 86_400_000).toLocaleDateString(locale, {
    dateStyle: 'long',
  } as Intl.DateTimeFormatOptions);

  if (done) {
    return (
      <p className="gs-ok" role="status">
        {t('pledgeSaved', { email: done.email, date: done.until })}
      </p>
    );
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (busy) return;
    const parsed = custom.trim() ? parseMoney(custom, p.currency) : { ok: true as const, amount: preset };
    if (!parsed.ok) return setError(moneyProblem(parsed.message, t, p.currency));
    const problem = checkAmount(parsed.amount, parsed.amount, p.currency, locale);
    if (problem) return setError(moneyProblem(problem.message, t, p.currency));
    if (!EMAIL.test(email.trim())) return setError(t('pledgeEmailNeeded'));
    if (!consent) return setError(t('pledgeTick'));
    setError('');
    setBusy(true);
    try {
      const r = await startPledge(api, p.slug, {
        amount: parsed.amount,
        frequency,
        email: email.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        // The pledge e-mail and the Checkout it leads to speak the reader's language.
        ...(lang ? { locale: lang } : {}),
        consent: true,
      });
      setDone({
        email: email.trim(),
        until: new Date(r.deleteAfter).toLocaleDateString(locale, { dateStyle: 'long' } as Intl.DateTimeFormatOptions),
      });
    } catch (err) {
      setBusy(false);
      setError(apiProblem(err, t).message);
    }
  }

  return (
    <form className="gs-form" onSubmit={submit} noValidate aria-label={t('pledgeForm')}>
      <fieldset>
        <legend>{t('howOften')}</legend>
        <div className="gs-seg">
          {(['once', 'monthly'] as const).map((f) => (
            <label className="gs-opt" key={f}>
              <input type="radio" name={`${id}-pf`} value={f} checked={frequency === f} onChange={() => setFrequency(f)} />
              <span>{t(f)}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>{t(frequency === 'monthly' ? 'pledgeAmountMonthly' : 'pledgeAmount')}</legend>
        <div className="gs-seg">
          {presets.map((a) => (
            <label className="gs-opt" key={a}>
              <input
                type="radio"
                name={`${id}-pa`}
                value={String(a)}
                checked={!custom.trim() && preset === a}
                onChange={() => {
                  setPreset(a);
                  setCustom('');
                }}
              />
              <span>{formatMoney(a, p.currency, { locale })}</span>
            </label>
          ))}
        </div>
        <label className="gs-lbl" htmlFor={`${id}-pc`} style={{ marginTop: 10 }}>
          {t('otherAmount', { currency: p.currency })}
        </label>
        <input
          id={`${id}-pc`}
          className="gs-in"
          inputMode="decimal"
          autoComplete="off"
          placeholder={t('minimum', { amount: money(minimumAmount(p.currency)) })}
          value={custom}
          onChange={(e) => setCustom((e.target as HTMLInputElement).value)}
        />
      </fieldset>
      <div className="gs-row">
        <div>
          <label className="gs-lbl" htmlFor={`${id}-pe`}>
            {t('emailLabel')}
          </label>
          <input
            id={`${id}-pe`}
            className="gs-in"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </div>
        <div>
          <label className="gs-lbl" htmlFor={`${id}-pn`}>
            {t('name')}
          </label>
          <input
            id={`${id}-pn`}
            className="gs-in"
            autoComplete="name"
            maxLength={100}
            value={name}
            onChange={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <label className="gs-chk">
        <input type="checkbox" checked={consent} onChange={(e) => setConsent((e.target as HTMLInputElement).checked)} />
        <span>{t('pledgeConsent', { date: deleteOn })}</span>
      </label>
      <div className="gs-alert" role="alert">
        {error}
      </div>
      <button type="submit" className="gs-btn" disabled={busy} aria-busy={busy || undefined}>
        {busy ? t('saving') : t('pledgeButton')}
      </button>
      <p className="gs-hint">{t('pledgeNote')}</p>
    </form>
  );
}

type CaptchaApi = {
  render(el: HTMLElement, opts: { sitekey: string; callback(token: string): void; 'expired-callback'(): void }): unknown;
};
const SCRIPTS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit',
  hcaptcha: 'https://js.hcaptcha.com/1/api.js?render=explicit',
} as const;

/**
 * The CAPTCHA that card testing switches on (server/giving/card-testing.ts): the provider's script,
 * loaded only then, renders its challenge here; the server verifies the answer over the provider's
 * API. The host page's CSP must allow the provider's script and frame (README, Security).
 */
function Captcha({
  provider,
  siteKey,
  onToken,
  t,
}: {
  provider: 'turnstile' | 'hcaptcha';
  siteKey: string;
  onToken: (t: string | undefined) => void;
  t: T;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const w = window as unknown as Record<string, CaptchaApi | undefined>;
    const draw = () => {
      const api = w[provider];
      if (!api || !ref.current) return setFailed(true);
      api.render(ref.current, { sitekey: siteKey, callback: (t) => onToken(t), 'expired-callback': () => onToken(undefined) });
    };
    if (w[provider]) return draw();
    const s = document.createElement('script');
    s.src = SCRIPTS[provider];
    s.async = true;
    s.onload = draw;
    s.onerror = () => setFailed(true);
    document.head.append(s);
  }, [provider, siteKey, onToken]);
  return (
    <div className="gs-captcha" aria-label={t('security')}>
      <p className="gs-hint">{t('captchaHint')}</p>
      <div ref={ref} />
      {failed ? <p className="gs-err">{t('captchaFailed')}</p> : null}
    </div>
  );
}
