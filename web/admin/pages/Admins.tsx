import { useEffect, useState } from 'react';
import { api } from '../api.js';
import type { Role } from '../session.js';
import { ErrorNote, Field, date, fieldProps, useApiForm } from '../ui.js';

interface Admin {
  id: number;
  email: string;
  role: Role;
  status: 'active' | 'invited' | 'disabled';
  createdAt: string;
  invitationExpiresAt: string | null;
}

const ROLES: [Role, string][] = [
  ['owner', 'Owner: everything, including admins and the full export'],
  ['editor', 'Editor: campaigns, offline gifts, the donations CSV'],
  ['viewer', 'Viewer: reads everything, changes nothing'],
];
const STATUS: Record<Admin['status'], string> = { active: 'Active', invited: 'Invited', disabled: 'Disabled' };

/** Owners manage who can sign in; every admin changes their own password here. */
export function Admins({ me, owner }: { me: string; owner: boolean }) {
  return (
    <>
      <header className="page-head">
        <h1>{owner ? 'Admins' : 'Your account'}</h1>
      </header>
      {owner && <AdminList me={me} />}
      <section className="card">
        <h2>Change your password</h2>
        <ChangePassword />
      </section>
    </>
  );
}

function AdminList({ me }: { me: string }) {
  const [admins, setAdmins] = useState<Admin[] | null>(null);
  const [error, setError] = useState('');
  const [link, setLink] = useState<{ email: string; url: string; expiresAt: string } | null>(null);
  const load = () =>
    api<{ admins: Admin[] }>('/admins').then(
      (r) => setAdmins(r.admins),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);

  /** Runs one change, then reloads the list; the server's refusal (last owner...) is shown. */
  const act = async (run: () => Promise<unknown>) => {
    setError('');
    try {
      await run();
    } catch (e) {
      setError((e as Error).message);
    }
    await load();
  };
  const renew = (a: Admin) =>
    act(async () => {
      const r = await api<{ invitation: { url: string; expiresAt: string } }>(`/admins/${a.id}/invitation`, { method: 'POST' });
      setLink({ email: a.email, ...r.invitation });
    });

  return (
    <>
      <section className="card">
        <h2>Who can sign in</h2>
        <ErrorNote error={error} />
        {admins && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {admins.map((a) => (
                <tr key={a.id} data-testid={`admin-${a.email}`}>
                  <td>
                    {a.email} {a.email === me && <span className="muted">(you)</span>}
                    <div className="muted">since {date(a.createdAt)}</div>
                  </td>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${a.id}`}>
                      Role of {a.email}
                    </label>
                    <select
                      id={`role-${a.id}`}
                      value={a.role}
                      onChange={(e) => void act(() => api(`/admins/${a.id}`, { method: 'PATCH', body: { role: e.target.value } }))}
                    >
                      {ROLES.map(([r]) => (
                        <option key={r} value={r}>
                          {r.charAt(0).toUpperCase() + r.slice(1)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {STATUS[a.status]}
                    {a.status === 'invited' && a.invitationExpiresAt && (
                      <div className="muted">link until {date(a.invitationExpiresAt)}</div>
                    )}
                  </td>
                  <td>
                    <div className="actions">
                      {a.status === 'invited' && (
                        <button type="button" onClick={() => void renew(a)} aria-label={`New invitation link for ${a.email}`}>
                          New link
                        </button>
                      )}
                      {a.status === 'disabled' ? (
                        <button
                          type="button"
                          onClick={() => void act(() => api(`/admins/${a.id}/enable`, { method: 'POST' }))}
                          aria-label={`Enable ${a.email}`}
                        >
                          Enable
                        </button>
                      ) : (
                        <button
                          type="button"
                          onClick={() => void act(() => api(`/admins/${a.id}/disable`, { method: 'POST' }))}
                          aria-label={`Disable ${a.email}`}
                        >
                          Disable
                        </button>
                      )}
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Remove ${a.email}`}
                        onClick={() => {
                          if (confirm(`Remove ${a.email}? They are signed out at once and cannot sign in again.`))
                            void act(() => api(`/admins/${a.id}`, { method: 'DELETE' }));
                        }}
                      >
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card">
        <h2>Invite an admin</h2>
        <NewAdmin
          onInvited={(l) => {
            setLink(l);
            void load();
          }}
        />
        {link && <InvitationLink {...link} />}
      </section>
    </>
  );
}

function InvitationLink({ email, url, expiresAt }: { email: string; url: string; expiresAt: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="ok-note" role="status">
      <p>
        We e-mailed this link to {email}. If it does not arrive, send it yourself: it is shown only now and works once, until{' '}
        {date(expiresAt)}. They choose their own password with it.
      </p>
      <label htmlFor="invitation-link">Invitation link</label>
      <input id="invitation-link" readOnly value={url} onFocus={(e) => e.target.select()} />{' '}
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(url).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy link'}
      </button>
    </div>
  );
}

function NewAdmin({ onInvited }: { onInvited: (link: { email: string; url: string; expiresAt: string }) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const { errors, general, submit } = useApiForm(async () => {
    const r = await api<{ admin: { email: string }; invitation: { url: string; expiresAt: string } }>('/admins', {
      method: 'POST',
      body: { email, role },
    });
    setEmail('');
    onInvited({ email: r.admin.email, ...r.invitation });
    return '';
  });
  return (
    <form onSubmit={submit} noValidate>
      <Field label="E-mail" name="new-email" error={errors.email}>
        <input
          {...fieldProps('new-email', errors.email)}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="off"
        />
      </Field>
      <Field label="Role" name="new-role" error={errors.role}>
        <select {...fieldProps('new-role', errors.role)} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map(([r, label]) => (
            <option key={r} value={r}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <ErrorNote error={general} />
      <button type="submit" className="primary">
        Invite
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
        <input
          {...fieldProps('currentPassword', errors.currentPassword)}
          type="password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
          autoComplete="current-password"
        />
      </Field>
      <Field label="New password" name="newPassword" error={errors.newPassword} hint="At least 10 characters">
        <input
          {...fieldProps('newPassword', errors.newPassword)}
          type="password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
          autoComplete="new-password"
        />
      </Field>
      <ErrorNote error={general} />
      {done && (
        <p className="ok-note" role="status">
          {done}
        </p>
      )}
      <button type="submit" className="primary">
        Change password
      </button>
    </form>
  );
}
