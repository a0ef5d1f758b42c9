import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api.js';
import { Field, fieldProps } from './ui.js';

/**
 * The password prompt for sensitive actions (admins, donor-data exports): a modal dialog; on
 * success the request that needed it is sent again (api.ts).
 */
export function ReauthDialog({ email, onDone }: { email: string; onDone: (ok: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('/session/reauth', { method: 'POST', body: { password } });
      onDone(true);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'invalid_credentials' ? 'That is not your password.' : (err as Error).message);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} className="card reauth" aria-labelledby="reauth-title" onCancel={() => onDone(false)}>
      <form onSubmit={submit}>
        <h2 id="reauth-title">Confirm it is you</h2>
        <p>This needs your password again (the last time you entered it was more than 10 minutes ago).</p>
        <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
        <Field label="Your password" name="reauth-password" error={error}>
          <input
            {...fieldProps('reauth-password', error)}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoFocus
          />
        </Field>
        <p className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Confirm
          </button>{' '}
          <button type="button" onClick={() => onDone(false)}>
            Cancel
          </button>
        </p>
      </form>
    </dialog>
  );
}
