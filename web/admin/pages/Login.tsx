import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api.js';
import type { Me } from '../session.js';
import { ErrorNote, Field, fieldProps } from '../ui.js';

/** "Forgot your password?": asks for a reset link by e-mail; the answer never says whether the
 * address is an admin's. */
function ForgotPassword({ initialEmail, onBack }: { initialEmail: string; onBack: () => void }) {
  const [email, setEmail] = useState(initialEmail);
  const [sent, setSent] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      setSent((await api<{ message: string }>('/password-reset', { method: 'POST', body: { email } })).message);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={submit} className="card" aria-labelledby="forgot-title">
        <h1 id="forgot-title">Reset your password</h1>
        {sent ? (
          <p role="status">{sent}</p>
        ) : (
          <>
            <p>Enter the e-mail address of your admin account. We will send a link to choose a new password.</p>
            <Field label="E-mail" name="forgot-email">
              <input
                {...fieldProps('forgot-email')}
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                autoFocus
              />
            </Field>
            <ErrorNote error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send me a reset link'}
            </button>
          </>
        )}
        <p>
          <button type="button" className="link" onClick={onBack}>
            Back to sign in
          </button>
        </p>
      </form>
    </main>
  );
}

export function Login({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [forgot, setForgot] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onSignedIn(await api('/login', { method: 'POST', body: { email, password } }));
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_credentials'
          ? 'That e-mail and password do not match an admin account.'
          : (err as Error).message,
      );
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  if (forgot) return <ForgotPassword initialEmail={email} onBack={() => setForgot(false)} />;

  return (
    <main className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">Groundswell admin</h1>
        <Field label="E-mail" name="email">
          <input
            {...fieldProps('email')}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoFocus
          />
        </Field>
        <Field label="Password" name="password">
          <input
            {...fieldProps('password')}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p>
          <button type="button" className="link" onClick={() => setForgot(true)}>
            Forgot your password?
          </button>
        </p>
      </form>
    </main>
  );
}
