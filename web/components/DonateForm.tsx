import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Locale } from '../../common/i18n.js';
import { chargeWithFees, checkAmount, formatMoney, minimumAmount, parseMoney } from '../../common/money.js';
import { ApiError, type CampaignProgress, type CheckoutBody, goToCheckout, startCheckout } from '../lib/api.js';
import { count, type T } from '../lib/i18n.js';
import { rich } from './rich.js';

/** Same rule as server/campaigns/schemas.ts plainText: no control or bidi-override characters. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Field = 'amount' | 'name' | 'email' | 'comment' | 'dedication.name';
type Errors = Partial<Record<Field, string>>;

export interface DonateFormProps {
  api: string;
  progress: CampaignProgress;
  /** The BCP 47 tag numbers, money and dates are formatted with. */
  locale?: string;
  /** The reader's catalog language (sent with the checkout: receipts in that language). */
  lang?: Locale;
  /** The translator (web/lib/i18n.ts) over the reader's catalog. */
  t: T;
  /** The copy variant the banner showed (sent with the checkout; SPEC §13 funnel). */
  variant?: string | null;
  /** Where the donor goes once Checkout exists; the top window by default (tests override). */
  navigate?: (url: string) => void;
  /** The server says payments are down (breaker open): the owner shows the pledge form instead. */
  onPaymentsDown?: () => void;
  /** The CAPTCHA's answer while card testing has switched it on for this campaign. */
  captchaToken?: string;
}

function textProblem(v: string, max: number, t: T): string | undefined {
  if (v.length > max) return t('tooLong', count(max));
  if (CONTROL.test(v)) return t('badChars');
  return undefined;
}

/** common/money.ts speaks English: its sentences, in the reader's words. */
export function moneyProblem(message: string, t: T, currency: string): string {
  const m = /^The (min|max)imum gift is (.+)$/.exec(message);
  if (m) return t(m[1] === 'min' ? 'minGift' : 'maxGift', { amount: m[2]! });
  if (message.endsWith('have no decimal places')) return t('noDecimals', { currency });
  const known = {
    'Enter a positive amount': 'positive',
    'Enter an amount': 'enterAmount',
    'Enter the amount as a number, like 25 or 25.50': 'asNumber',
    'That amount is too large': 'tooLarge',
  } as const;
  const k = known[message as keyof typeof known];
  return k ? t(k) : message;
}

/** An API error in the reader's words where the widget knows them (the server's own otherwise). */
export function apiProblem(err: unknown, t: T): ApiError {
  const ae = err instanceof ApiError ? err : new ApiError(t('genericError'), 0, 'unknown');
  if (ae.code === 'network_error') return new ApiError(t('network'), 0, ae.code);
  if (ae.status >= 500) return new ApiError(t('serverError'), ae.status, ae.code, ae.field, ae.retryAfter);
  return ae;
}

/**
 * The amount chooser. Every rule the server applies (minimum and maximum per currency, fee
 * arithmetic, text lengths) is checked here first with the same numbers, so the server's refusal
 * is the exception; when it does refuse, its own words are shown next to the field it names.
 */
export function DonateForm({
  api,
  progress: p,
  locale,
  lang,
  t,
  variant,
  navigate = goToCheckout,
  onPaymentsDown,
  captchaToken,
}: DonateFormProps) {
  const id = useId();
  const presets = p.presets.length ? p.presets : [1000, 2500, 5000];
  const [frequency, setFrequency] = useState<'once' | 'monthly'>('once');
  const [preset, setPreset] = useState<number | null>(presets[Math.min(1, presets.length - 1)] ?? null);
  const [custom, setCustom] = useState('');
  // Never pre-selected (SPEC §5), and kept when the donor changes the amount or frequency: the
  // added sum follows the amount, the donor's yes or no does not.
  const [coverFees, setCoverFees] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [anonymous, setAnonymous] = useState(false);
  const [comment, setComment] = useState('');
  const [dedKind, setDedKind] = useState<'' | 'honor' | 'memory'>('');
  const [dedName, setDedName] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [alert, setAlert] = useState('');
  const [busy, setBusy] = useState(false);
  const [waitUntil, setWaitUntil] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (!waitUntil) return;
    const t = setTimeout(() => setWaitUntil(0), Math.max(0, waitUntil - Date.now()));
    return () => clearTimeout(t);
  }, [waitUntil]);

  const money = (n: number, exact = false) => formatMoney(n, p.currency, { locale, exact });
  // What the organisation's tax status lets the appeal say (e.g. "Gifts to … are not tax-deductible").
  const notices: Partial<Record<string, string>> = p.tax?.notice ?? {};
  const taxNote = notices[lang ?? (locale ?? (typeof navigator === 'undefined' ? 'en' : navigator.language)).slice(0, 2)] ?? notices.en;
  const parsed = custom.trim() !== '' ? parseMoney(custom, p.currency) : preset != null ? { ok: true as const, amount: preset } : null;
  const amount = parsed?.ok ? parsed.amount : null;
  const withFees = amount != null ? chargeWithFees(amount, p.fees) : null;
  const feeable = withFees != null && amount != null && withFees > amount;
  const charge = amount != null ? (coverFees && withFees != null ? withFees : amount) : null;
  const open = p.status === 'open';
  const monthly = frequency === 'monthly';

  function validate(): Errors {
    const e: Errors = {};
    if (!parsed) e.amount = t('chooseAmount');
    else if (!parsed.ok) e.amount = moneyProblem(parsed.message, t, p.currency);
    else {
      const problem = checkAmount(parsed.amount, charge ?? parsed.amount, p.currency, locale);
      if (problem) e.amount = moneyProblem(problem.message, t, p.currency);
    }
    const n = textProblem(name.trim(), 100, t);
    if (n) e.name = n;
    if (email.trim() && (!EMAIL.test(email.trim()) || email.trim().length > 254)) e.email = t('badEmail');
    const c = textProblem(comment.trim(), 500, t);
    if (c) e.comment = c;
    if (dedKind) {
      const d = dedName.trim() ? textProblem(dedName.trim(), 100, t) : t('dedName');
      if (d) e['dedication.name'] = d;
    }
    return e;
  }

  function focusField(field: string) {
    const el = formRef.current?.querySelector<HTMLElement>(`[data-field="${field}"]`);
    el?.focus();
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (busy || waitUntil) return;
    setAlert('');
    const e = validate();
    setErrors(e);
    const first = Object.keys(e)[0];
    if (first) {
      setAlert(t('checkFields'));
      focusField(first);
      return;
    }
    const body: CheckoutBody = { amount: amount!, frequency, coverFees };
    if (name.trim()) body.name = name.trim();
    if (email.trim()) body.email = email.trim();
    if (anonymous) body.anonymous = true;
    if (comment.trim()) body.comment = comment.trim();
    if (dedKind) body.dedication = { kind: dedKind, name: dedName.trim() };
    if (captchaToken) body.captchaToken = captchaToken;
    if (variant) body.variant = variant;
    // Receipts and the Checkout page in the reader's language.
    if (lang) body.locale = lang;
    setBusy(true);
    try {
      const { url } = await startCheckout(api, p.slug, body);
      setAlert('');
      navigate(url);
      // stay busy: the page is going away
    } catch (err) {
      setBusy(false);
      const ae = apiProblem(err, t);
      if (ae.code === 'payments_unavailable' && onPaymentsDown) return onPaymentsDown();
      let msg = ae.message;
      if (ae.status === 429) {
        const secs = ae.retryAfter ?? 60;
        msg = `${lang && lang !== 'en' ? t('tooMany') : msg.replace(/\.?$/, '.')} ${t('retryIn', count(secs, locale))}`;
        setWaitUntil(Date.now() + secs * 1000);
      }
      setAlert(msg);
      const field =
        ae.field === 'amount' || ae.field === 'name' || ae.field === 'email' || ae.field === 'comment' || ae.field === 'dedication.name'
          ? ae.field
          : undefined;
      if (field) {
        setErrors({ [field]: ae.message });
        focusField(field);
      }
    }
  }

  const err = (f: Field) =>
    errors[f] ? (
      <p className="gs-err" id={`${id}-${f}-err`}>
        {errors[f]}
      </p>
    ) : null;
  const described = (f: Field, hint?: string) => [errors[f] ? `${id}-${f}-err` : '', hint ?? ''].filter(Boolean).join(' ') || undefined;

  if (!open) {
    return (
      <p className="gs-alert" role="status">
        {p.status === 'scheduled' ? t('notStarted') : t('endedNoGifts')}
      </p>
    );
  }

  return (
    <form className="gs-form" ref={formRef} onSubmit={submit} noValidate aria-describedby={`${id}-alert`}>
      <fieldset>
        <legend>{t('howOften')}</legend>
        <div className="gs-seg">
          {(['once', 'monthly'] as const).map((f) => (
            <label className="gs-opt" key={f}>
              <input type="radio" name={`${id}-freq`} value={f} checked={frequency === f} onChange={() => setFrequency(f)} />
              <span>{t(f)}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset aria-describedby={described('amount')}>
        <legend>{t(monthly ? 'amountMonthly' : 'amount')}</legend>
        <div className="gs-seg">
          {presets.map((a) => (
            <label className="gs-opt" key={a}>
              <input
                type="radio"
                name={`${id}-amount`}
                value={String(a)}
                checked={custom.trim() === '' && preset === a}
                onChange={() => {
                  setPreset(a);
                  setCustom('');
                  setErrors((x) => ({ ...x, amount: undefined }));
                }}
                data-autofocus={preset === a && custom.trim() === '' ? '' : undefined}
              />
              <span>{money(a)}</span>
            </label>
          ))}
        </div>
        <label className="gs-lbl" htmlFor={`${id}-custom`} style={{ marginTop: 10 }}>
          {t('otherAmount', { currency: p.currency })}
        </label>
        <input
          id={`${id}-custom`}
          className="gs-in"
          data-field="amount"
          inputMode="decimal"
          autoComplete="off"
          placeholder={t('minimum', { amount: money(minimumAmount(p.currency)) })}
          value={custom}
          aria-invalid={errors.amount ? true : undefined}
          aria-describedby={described('amount')}
          onChange={(e) => {
            setCustom((e.target as HTMLInputElement).value);
            setErrors((x) => ({ ...x, amount: undefined }));
          }}
        />
        {err('amount')}
      </fieldset>

      {feeable && amount != null && withFees != null ? (
        <label className="gs-chk">
          <input type="checkbox" checked={coverFees} onChange={(e) => setCoverFees((e.target as HTMLInputElement).checked)} />
          {/* Help toward the fees, never a promise of what the organisation nets: international
              cards, conversion, bank debits and refunds cost more than this estimate (SPEC §5). */}
          <span>{rich(t(monthly ? 'coverFeesMonthly' : 'coverFees'), { fee: <strong>{money(withFees - amount, true)}</strong> })}</span>
        </label>
      ) : null}

      <div className="gs-row">
        <div>
          <label className="gs-lbl" htmlFor={`${id}-name`}>
            {t('name')}
          </label>
          <input
            id={`${id}-name`}
            className="gs-in"
            data-field="name"
            autoComplete="name"
            maxLength={100}
            value={name}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={described('name')}
            onChange={(e) => setName((e.target as HTMLInputElement).value)}
          />
          {err('name')}
        </div>
        <div>
          <label className="gs-lbl" htmlFor={`${id}-email`}>
            {t('email')}
          </label>
          <input
            id={`${id}-email`}
            className="gs-in"
            data-field="email"
            type="email"
            autoComplete="email"
            value={email}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={described('email', `${id}-email-hint`)}
            onChange={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
          <p className="gs-hint" id={`${id}-email-hint`}>
            {t('emailHint')}
          </p>
          {err('email')}
        </div>
      </div>

      <label className="gs-chk">
        <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous((e.target as HTMLInputElement).checked)} />
        <span>{t('anonymous')}</span>
      </label>

      <div>
        <label className="gs-lbl" htmlFor={`${id}-comment`}>
          {t('comment')}
        </label>
        <textarea
          id={`${id}-comment`}
          className="gs-in"
          data-field="comment"
          rows={2}
          maxLength={500}
          value={comment}
          aria-invalid={errors.comment ? true : undefined}
          aria-describedby={described('comment')}
          onChange={(e) => setComment((e.target as HTMLTextAreaElement).value)}
        />
        {err('comment')}
      </div>

      <div className="gs-row">
        <div>
          <label className="gs-lbl" htmlFor={`${id}-ded`}>
            {t('dedicate')}
          </label>
          <select
            id={`${id}-ded`}
            className="gs-in"
            value={dedKind}
            onChange={(e) => setDedKind((e.target as HTMLSelectElement).value as '' | 'honor' | 'memory')}
          >
            <option value="">{t('noDedication')}</option>
            <option value="honor">{t('honorOf')}</option>
            <option value="memory">{t('memoryOf')}</option>
          </select>
        </div>
        {dedKind ? (
          <div>
            <label className="gs-lbl" htmlFor={`${id}-dedname`}>
              {t(dedKind === 'honor' ? 'honorLabel' : 'memoryLabel')}
            </label>
            <input
              id={`${id}-dedname`}
              className="gs-in"
              data-field="dedication.name"
              maxLength={100}
              value={dedName}
              aria-invalid={errors['dedication.name'] ? true : undefined}
              aria-describedby={described('dedication.name')}
              onChange={(e) => setDedName((e.target as HTMLInputElement).value)}
            />
            {err('dedication.name')}
          </div>
        ) : null}
      </div>

      <div className="gs-alert" id={`${id}-alert`} role="alert">
        {alert}
      </div>

      {charge != null && parsed?.ok ? (
        <p className="gs-total">
          {rich(t(monthly ? 'chargedMonthly' : 'chargedOnce'), { amount: <strong>{money(charge, true)}</strong> })}
        </p>
      ) : null}

      {taxNote ? (
        <p className="gs-hint" data-tax-notice="">
          {taxNote}
        </p>
      ) : null}

      <button type="submit" className="gs-btn" disabled={busy || waitUntil > 0} aria-busy={busy || undefined}>
        {busy
          ? t('opening')
          : charge != null && parsed?.ok
            ? t(monthly ? 'donateMonthly' : 'donateAmount', { amount: money(charge, true) })
            : t('donateNow')}
      </button>
      <p className="gs-hint">{t('stripeNote')}</p>
    </form>
  );
}
