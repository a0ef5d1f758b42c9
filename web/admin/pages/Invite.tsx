import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from '../api.js';
import type { Me } from '../session.js';
import { ErrorNote, Field, dateTime, fieldProps } from '../ui.js';

const TEXT = {
  invite: {
    title: 'Join the Groundswell admin',
    invalid: 'This invitation link is not valid: it was used already, has expired or was replaced. Ask an owner for a new one.',
    path: '/invitations/',
  },
  reset: {
    title: 'Reset your admin password',
    invalid:
      'This password reset link is not valid: it was used already, has expired or was replaced by a newer one. Ask for a new link on the sign-in page.',
    path: '/password-reset/',
  },
};

/**
 * /admin/invite/<token> and /admin/reset/<token>: an invited admin chooses their own password, or
 * an admin who forgot theirs chooses a new one. Opening the page only reads whose link it is; the
 * button POSTs (mail scanners follow links).
 */
export function Invite({
  token,
  onSignedIn,
  purpose = 'invite',
}: {
  token: string;
  onSignedIn: (me: Me) => void;
  purpose?: 'invite' | 'reset';
}) {
  const text = TEXT[purpose];
  const [invite, setInvite] = useState<{ email: string; expiresAt: string } | null | undefined>(undefined);
  const [loadError, setLoadError] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<{ password?: string; again?: string; general?: string }>({});
  const [busy, setBusy] = useState(false);
  const path = `${text.path}${encodeURIComponent(token)}`;

  useEffect(() => {
    api<{ email: string; expiresAt: string }>(path).then(setInvite, (e: unknown) => {
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setInvite(null);
      else setLoadError((e as Error).message);
    });
  }, [path]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) return setErrors({ again: 'The two passwords differ.' });
    setBusy(true);
    setErrors({});
    try {
      onSignedIn(await api<Me>(path, { method: 'POST', body: { password } }));
    } catch (err) {
      if (err instanceof ApiError && err.field === 'password') setErrors({ password: err.message.replace(/^password /, 'Password ') });
      else setErrors({ general: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <section className="card" aria-labelledby="invite-title">
        <h1 id="invite-title">{text.title}</h1>
        <ErrorNote error={loadError} />
        {invite === undefined && !loadError && <p className="loading">Loading…</p>}
        {invite === null && <p role="alert">{text.invalid}</p>}
        {invite && (
          <form onSubmit={submit} noValidate>
            <p>
              Choose the password for <strong>{invite.email}</strong>. The link works until {dateTime(invite.expiresAt)}, once.
            </p>
            <input type="text" name="username" autoComplete="username" value={invite.email} readOnly hidden />
            <Field label="New password" name="invite-password" error={errors.password} hint="At least 10 characters">
              <input
                {...fieldProps('invite-password', errors.password)}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </Field>
            <Field label="Repeat the password" name="invite-again" error={errors.again}>
              <input
                {...fieldProps('invite-again', errors.again)}
                type="password"
                autoComplete="new-password"
                value={again}
                onChange={(e) => setAgain(e.target.value)}
              />
            </Field>
            <ErrorNote error={errors.general ?? ''} />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Set password and sign in'}
            </button>
          </form>
        )}
      </section>
    </main>
  );
}
