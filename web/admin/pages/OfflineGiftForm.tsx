import { type FormEvent, useState } from 'react';
import { api, fieldErrors } from '../api.js';
import { parseMoney, toMajor } from '../../../common/money.js';
import { zonedDay } from '../../../common/time.js';
import type { DonationDetail } from '../types.js';
import { LOCALES } from '../../../common/i18n.js';
import { LANGUAGE_NAMES } from '../languages.js';
import { ErrorNote, Field, fieldProps, orgTimeZone } from '../ui.js';

/** Today in the organisation's zone: the date a cheque received now is filed under. */
const today = () => zonedDay(new Date(), orgTimeZone());

export interface OfflineValues {
  amount: string;
  receivedAt: string;
  name: string;
  email: string;
  note: string;
  /** The public donor wall: hidden unless the donor agreed; with or without the name. */
  wall: 'hidden' | 'named' | 'anonymous';
  /** The donor's language (new gifts only): their receipt is written in it. */
  locale: string;
}

/** Entry and correction of a cheque or cash gift. With `gift` it edits that gift. */
export function OfflineGiftForm({
  slug,
  currency,
  gift,
  onSaved,
}: {
  slug: string;
  currency: string;
  gift?: DonationDetail;
  onSaved: (g: DonationDetail) => void;
}) {
  const blank: OfflineValues = { amount: '', receivedAt: today(), name: '', email: '', note: '', wall: 'hidden', locale: 'en' };
  const [v, setV] = useState<OfflineValues>(
    gift
      ? {
          amount: toMajor(gift.amount, currency),
          receivedAt: zonedDay(gift.receivedAt ?? gift.createdAt, orgTimeZone()),
          name: gift.name ?? '',
          email: gift.email ?? '',
          note: gift.note ?? '',
          wall: !gift.showOnWall ? 'hidden' : gift.anonymous ? 'anonymous' : 'named',
          locale: 'en',
        }
      : blank,
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof OfflineValues) => (e: { target: { value: string } }) => setV((s) => ({ ...s, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    const amount = parseMoney(v.amount, currency);
    if (!amount.ok) return setErrors({ amount: amount.message });
    setErrors({});
    setGeneral('');
    setBusy(true);
    const body = {
      amount: amount.amount,
      receivedAt: v.receivedAt,
      name: v.name.trim() || null,
      email: v.email.trim() || null,
      note: v.note.trim() || null,
      showOnWall: v.wall !== 'hidden',
      anonymous: v.wall === 'anonymous',
      ...(!gift && { locale: v.locale }),
    };
    try {
      const saved = gift
        ? await api<DonationDetail>(`/offline-donations/${gift.id}`, { method: 'PATCH', body })
        : await api<DonationDetail>(`/campaigns/${slug}/offline-donations`, { method: 'POST', body });
      if (!gift) setV(blank);
      setDone(gift ? 'Saved.' : 'Recorded: the totals include it now.');
      onSaved(saved);
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe.fields);
      setGeneral(fe.general);
    } finally {
      setBusy(false);
    }
  };

  const id = gift ? 'edit' : 'new';
  return (
    <form className="offline-form" onSubmit={submit} noValidate aria-label={gift ? 'Correct offline gift' : 'New offline gift'}>
      <div className="row">
        <Field label={`Amount (${currency})`} name={`${id}-amount`} error={errors.amount}>
          <input {...fieldProps(`${id}-amount`, errors.amount)} inputMode="decimal" value={v.amount} onChange={set('amount')} required />
        </Field>
        <Field label="Received on" name={`${id}-receivedAt`} error={errors.receivedAt}>
          <input
            {...fieldProps(`${id}-receivedAt`, errors.receivedAt)}
            type="date"
            value={v.receivedAt}
            onChange={set('receivedAt')}
            required
          />
        </Field>
      </div>
      <div className="row">
        <Field label="Name (optional)" name={`${id}-name`} error={errors.name}>
          <input {...fieldProps(`${id}-name`, errors.name)} value={v.name} onChange={set('name')} maxLength={100} />
        </Field>
        <Field label="E-mail (optional)" name={`${id}-email`} error={errors.email} hint="Counts the donor once across gifts">
          <input {...fieldProps(`${id}-email`, errors.email)} type="email" value={v.email} onChange={set('email')} />
        </Field>
      </div>
      <Field label="Note (optional)" name={`${id}-note`} error={errors.note} hint="e.g. cheque number">
        <input {...fieldProps(`${id}-note`, errors.note)} value={v.note} onChange={set('note')} maxLength={1000} />
      </Field>
      <Field label="Public donor wall" name={`${id}-wall`} hint="Only with the donor's agreement">
        <select {...fieldProps(`${id}-wall`)} value={v.wall} onChange={set('wall')}>
          <option value="hidden">Not shown</option>
          <option value="named">Shown with the name</option>
          <option value="anonymous">Shown as “Anonymous”</option>
        </select>
      </Field>
      {!gift && (
        <Field label="Donor's language" name={`${id}-locale`} error={errors.locale} hint="The receipt is written in it">
          <select {...fieldProps(`${id}-locale`, errors.locale)} value={v.locale} onChange={set('locale')}>
            {LOCALES.map((l) => (
              <option key={l} value={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </Field>
      )}
      <ErrorNote error={general} />
      {done && (
        <p className="ok-note" role="status">
          {done}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Saving…' : gift ? 'Save correction' : 'Record gift'}
      </button>
    </form>
  );
}
