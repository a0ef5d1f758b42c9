import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { fieldErrors } from './api.js';
import { formatMoney } from '../../common/money.js';
import type { DonationStatus } from './types.js';

export const money = (amount: number, currency: string) => formatMoney(amount, currency, { exact: true });
export const moneyShort = (amount: number, currency: string) => formatMoney(amount, currency);

/**
 * Dates are shown in the organisation's time zone (SPEC §5), not the browser's: App loads it from
 * /api/admin/settings before any page renders, and Settings updates it when an owner changes it.
 */
let orgZone = 'UTC';
export const orgTimeZone = () => orgZone;
export function setOrgTimeZone(zone: string) {
  orgZone = zone;
}
const zonedFormats = new Map<string, Intl.DateTimeFormat>();
function inOrgZone(style: 'date' | 'dateTime'): Intl.DateTimeFormat {
  const key = `${style}|${orgZone}`;
  let f = zonedFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', ...(style === 'dateTime' && { timeStyle: 'short' }), timeZone: orgZone });
    zonedFormats.set(key, f);
  }
  return f;
}
export const date = (iso: string | null) => (iso ? inOrgZone('date').format(new Date(iso)) : '—');
export const dateTime = (iso: string | null) => (iso ? inOrgZone('dateTime').format(new Date(iso)) : '—');
// Offline gifts carry a calendar date (stored as its midnight in the organisation's zone): shown
// as that date, in that zone, everywhere.
export const dateOnly = date;
/** When a gift happened: the received date of an offline gift, else the time it was made. */
export const giftDate = (g: { receivedAt: string | null; createdAt: string }) =>
  g.receivedAt ? dateOnly(g.receivedAt) : dateTime(g.createdAt);

/** A labelled input with its error underneath, tied together for screen readers. */
export function Field({
  label,
  name,
  error,
  hint,
  children,
}: {
  label: string;
  name: string;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={`f-${name}`}>{label}</label>
      {children}
      {hint && !error && (
        <small id={`f-${name}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`f-${name}-error`} className="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** Props for the input inside a Field: id, name and the aria links to hint/error. */
export const fieldProps = (name: string, error?: string) => ({
  id: `f-${name}`,
  name,
  'aria-invalid': error ? true : undefined,
  'aria-describedby': error ? `f-${name}-error` : `f-${name}-hint`,
});

const STATUS_LABEL: Record<string, string> = {
  paid: 'Paid',
  pending: 'Pending',
  failed: 'Failed',
  refunded: 'Refunded',
  partially_refunded: 'Partly refunded',
  disputed: 'Disputed',
  expired: 'Expired',
  voided: 'Voided',
  created: 'Started',
  open: 'Open',
  scheduled: 'Scheduled',
  ended: 'Ended',
  archived: 'Archived',
};

export function Badge({ status }: { status: DonationStatus | string }) {
  return <span className={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function ErrorNote({ error }: { error: string }) {
  return error ? (
    <p className="error-note" role="alert">
      {error}
    </p>
  ) : null;
}

/**
 * A list read page by page through the API's cursor (newest first): the rows so far, the
 * error, and `more` when another page exists. Shared by the audit log and the subscribers.
 */
export function useCursorList<T>(fetchPage: (cursor: string | null) => Promise<{ rows: T[]; nextCursor: string | null }>) {
  const [rows, setRows] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = async (after: string | null) => {
    try {
      const page = await fetchPage(after);
      setRows((cur) => (after && cur ? [...cur, ...page.rows] : page.rows));
      setCursor(page.nextCursor);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void load(null), []);
  const more = cursor ? () => void load(cursor) : null;
  return { rows, error, more };
}

export function LoadMore({ more }: { more: (() => void) | null }) {
  if (!more) return null;
  return (
    <p className="more">
      <button type="button" onClick={more}>
        Load more
      </button>
    </p>
  );
}

/**
 * A form that posts to the API and shows the server's field errors next to the fields, a
 * general error, and a success note: `run` does the request and returns the note to show.
 */
export function useApiForm(run: () => Promise<string>) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [done, setDone] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    try {
      setDone(await run());
      setErrors({});
      setGeneral('');
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe.fields);
      setGeneral(fe.general);
    }
  };
  return { errors, general, done, submit };
}
