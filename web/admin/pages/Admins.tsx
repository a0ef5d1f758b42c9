import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { ErrorNote, Field, date, fieldProps, useApiForm } from '../ui.js';

interface Admin {
  id: number;
  email: string;
  createdAt: string;
}

export function Admins({ me }: { me: string }) {
  const [admins, setAdmins] = useState<Admin[] | null>(null);
  const [error, setError] = useState('');
  const load = () => api<{ admins: Admin[] }>('/admins').then((r) => setAdmins(r.admins), (e: Error) => setError(e.message));
  useEffect(() => void load(), []);

  return (
    <>
      <header className="page-head">
        <h1>Admins</h1>
      </header>
      <ErrorNote error={error} />
      <div className="grid-2">
        <section className="card">
          <h2>Who can sign in</h2>
          <ul className="plain">
            {admins?.map((a) => (
              <li key={a.id}>
                {a.email} {a.email === me && <span className="muted">(you)</span>} <span className="muted">since {date(a.createdAt)}</span>
              </li>
            ))}
          </ul>
          <h3>Add an admin</h3>
          <NewAdmin onAdded={() => void load()} />
        </section>
        <section className="card">
          <h2>Change your password</h2>
          <ChangePassword />
        </section>
      </div>
    </>
  );
}

function NewAdmin({ onAdded }: { onAdded: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { errors, general, done, submit } = useApiForm(async () => {
    await api('/admins', { method: 'POST', body: { email, password } });
    setEmail('');
    setPassword('');
    onAdded();
    return `${email} can now sign in. Give them the password through a safe channel.`;
  });
  return (
    <form onSubmit={submit} noValidate>
      <Field label="E-mail" name="new-email" error={errors.email}>
        <input {...fieldProps('new-email', errors.email)} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
      </Field>
      <Field label="Password" name="new-password" error={errors.password} hint="At least 10 characters">
        <input {...fieldProps('new-password', errors.password)} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      </Field>
      <ErrorNote error={general} />
      {done && <p className="ok-note" role="status">{done}</p>}
      <button type="submit" className="primary">
        Add admin
      </button>
    </form>
  );
}

function ChangePassword() {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const { errors, general, done, submit } = useApiForm(async () => {
    await api('/password', { method: 'POST', body: { currentPassword, newPassword } });
    setCurrent('');
    setNew('');
    return 'Password changed. Your other sessions are signed out.';
  });
  return (
    <form onSubmit={submit} noValidate>
      <Field label="Current password" name="currentPassword" error={errors.currentPassword}>
        <input {...fieldProps('currentPassword', errors.currentPassword)} type="password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" />
      </Field>
      <Field label="New password" name="newPassword" error={errors.newPassword} hint="At least 10 characters">
        <input {...fieldProps('newPassword', errors.newPassword)} type="password" value={newPassword} onChange={(e) => setNew(e.target.value)} autoComplete="new-password" />
      </Field>
      <ErrorNote error={general} />
      {done && <p className="ok-note" role="status">{done}</p>}
      <button type="submit" className="primary">
        Change password
      </button>
    </form>
  );
}
