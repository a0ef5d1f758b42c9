import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { checkAmount, formatMoney, minimumAmount, parseMoney } from '../../common/money.js';
import { ApiError, type CampaignProgress, startPledge } from '../lib/api.js';
import { DonateForm, type DonateFormProps } from './DonateForm.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The organisation's other ways to give (bank transfer, cheque, another processor): plain text. */
export function OtherWays({ text }: { text: string }) {
  if (!text.trim()) return null;
  return (
    <section className="gs-ways" aria-label="Other ways to give">
      <h3>Other ways to give</h3>
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
        {p.captcha ? <Captcha provider={p.captcha.provider} siteKey={p.captcha.siteKey} onToken={setToken} /> : null}
        <DonateForm {...props} captchaToken={token} onPaymentsDown={() => setRefused(true)} />
        {props.showOtherWays ? <OtherWays text={p.otherWays} /> : null}
      </>
    );
  }
  return (
    <>
      <p className="gs-down" role="status">
        <strong>Online payments are unavailable right now.</strong> You can pledge your gift: we will e-mail you once, when you can complete
        it.
      </p>
      <PledgeForm api={props.api} progress={p} locale={props.locale} />
      <OtherWays text={p.otherWays} />
    </>
  );
}

function PledgeForm({ api, progress: p, locale }: { api: string; progress: CampaignProgress; locale?: string }) {
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
        Thank you! Your pledge is saved. We will e-mail {done.email} once, when you can complete your gift. If you do not, we delete it on{' '}
        {done.until}. It is not a payment and nothing has been charged.
      </p>
    );
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (busy) return;
    const parsed = custom.trim() ? parseMoney(custom, p.currency) : { ok: true as const, amount: preset };
    if (!parsed.ok) return setError(parsed.message);
    const problem = checkAmount(parsed.amount, parsed.amount, p.currency, locale);
    if (problem) return setError(problem.message);
    if (!EMAIL.test(email.trim())) return setError('Enter your e-mail address: it is how we reach you when payments are back.');
    if (!consent) return setError('Please tick the box: we need your permission to e-mail you once.');
    setError('');
    setBusy(true);
    try {
      const r = await startPledge(api, p.slug, {
        amount: parsed.amount,
        frequency,
        email: email.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        consent: true,
      });
      setDone({
        email: email.trim(),
        until: new Date(r.deleteAfter).toLocaleDateString(locale, { dateStyle: 'long' } as Intl.DateTimeFormatOptions),
      });
    } catch (err) {
      setBusy(false);
      setError(err instanceof ApiError ? err.message : 'Something went wrong; please try again.');
    }
  }

  return (
    <form className="gs-form" onSubmit={submit} noValidate aria-label="Pledge a gift">
      <fieldset>
        <legend>How often?</legend>
        <div className="gs-seg">
          {(['once', 'monthly'] as const).map((f) => (
            <label className="gs-opt" key={f}>
              <input type="radio" name={`${id}-pf`} value={f} checked={frequency === f} onChange={() => setFrequency(f)} />
              <span>{f === 'once' ? 'Once' : 'Monthly'}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Amount you pledge{frequency === 'monthly' ? ' per month' : ''}</legend>
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
          Other amount ({p.currency})
        </label>
        <input
          id={`${id}-pc`}
          className="gs-in"
          inputMode="decimal"
          autoComplete="off"
          placeholder={`Minimum ${money(minimumAmount(p.currency))}`}
          value={custom}
          onChange={(e) => setCustom((e.target as HTMLInputElement).value)}
        />
      </fieldset>
      <div className="gs-row">
        <div>
          <label className="gs-lbl" htmlFor={`${id}-pe`}>
            E-mail
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
            Your name (optional)
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
        <span>
          We will e-mail you once, when you can complete this gift. If it is not completed, we delete this pledge and your e-mail address on{' '}
          {deleteOn}.
        </span>
      </label>
      <div className="gs-alert" role="alert">
        {error}
      </div>
      <button type="submit" className="gs-btn" disabled={busy} aria-busy={busy || undefined}>
        {busy ? 'Saving your pledge…' : 'Pledge my gift'}
      </button>
      <p className="gs-hint">A pledge is not a payment: nothing is charged now.</p>
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
}: {
  provider: 'turnstile' | 'hcaptcha';
  siteKey: string;
  onToken: (t: string | undefined) => void;
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
    <div className="gs-captcha" aria-label="Security check">
      <p className="gs-hint">Many automated attempts were seen: please complete this security check before giving.</p>
      <div ref={ref} />
      {failed ? <p className="gs-err">The security check could not load; please use the donate page or try again later.</p> : null}
    </div>
  );
}
