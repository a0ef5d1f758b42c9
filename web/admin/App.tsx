import { useEffect, useState } from 'react';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { AuditLog } from './pages/AuditLog.js';
import { Admins } from './pages/Admins.js';
import { CampaignForm } from './pages/CampaignForm.js';
import { Campaigns } from './pages/Campaigns.js';
import { Dashboard } from './pages/Dashboard.js';
import { Donation } from './pages/Donation.js';
import { Donations } from './pages/Donations.js';
import { Login } from './pages/Login.js';
import { Settings } from './pages/Settings.js';
import { Subscribers } from './pages/Subscribers.js';
import { Link, navigate, useLocation } from './router.js';
import type { OrgSettings } from './types.js';
import { setOrgTimeZone } from './ui.js';

type Me = { admin: { email: string }; csrfToken: string };

function route(path: string, me: string) {
  let m: RegExpExecArray | null;
  if (path === '/admin' || path === '/admin/campaigns') return <Campaigns />;
  if (path === '/admin/campaigns/new') return <CampaignForm />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)\/edit$/.exec(path))) return <CampaignForm key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)\/donations$/.exec(path))) return <Donations key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)$/.exec(path))) return <Dashboard key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/donations\/([0-9a-f-]{36})$/.exec(path))) return <Donation key={m[1]} id={m[1]!} />;
  if (path === '/admin/subscribers') return <Subscribers />;
  if (path === '/admin/audit') return <AuditLog />;
  if (path === '/admin/admins') return <Admins me={me} />;
  if (path === '/admin/settings') return <Settings />;
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/admin">Back to the campaigns</Link>
      </p>
    </>
  );
}

const NAV: [string, string][] = [
  ['/admin', 'Campaigns'],
  ['/admin/subscribers', 'Subscribers'],
  ['/admin/audit', 'Audit log'],
  ['/admin/admins', 'Admins'],
  ['/admin/settings', 'Settings'],
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState('');
  const { path } = useLocation();

  // Pages show and take dates in the organisation's zone, so it is known before any page renders.
  const signedIn = (m: Me) => {
    setCsrfToken(m.csrfToken);
    api<OrgSettings>('/settings').then(
      (o) => setOrgTimeZone(o.timeZone),
      () => setOrgTimeZone('UTC'),
    ).finally(() => setMe(m));
  };

  useEffect(() => {
    setUnauthorizedHandler(() => setMe(null));
    api<Me>('/me').then(signedIn, (e: unknown) => (e instanceof ApiError && e.status === 401 ? setMe(null) : setError((e as Error).message)));
  }, []);

  if (error) return <p className="error-note">{error}</p>;
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <Login onSignedIn={signedIn} />;

  const logout = async () => {
    await api('/logout', { method: 'POST' }).catch(() => {});
    setMe(null);
    navigate('/admin', { replace: true });
  };
  const current = NAV.filter(([to]) => path === to || path.startsWith(`${to}/`)).sort((a, b) => b[0].length - a[0].length)[0]?.[0];

  return (
    <>
      <header className="topbar">
        <Link to="/admin" className="brand">
          Groundswell
        </Link>
        <nav aria-label="Admin">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={current === to ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span className="muted">{me.admin.email}</span>
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{route(path, me.admin.email)}</main>
    </>
  );
}
