import { useEffect, useRef, useState } from 'react';
import { ApiError, api, setCsrfToken, setReauthHandler, setUnauthorizedHandler } from './api.js';
import { ReauthDialog } from './Reauth.js';
import { AuditLog } from './pages/AuditLog.js';
import { Admins } from './pages/Admins.js';
import { CampaignForm } from './pages/CampaignForm.js';
import { Campaigns } from './pages/Campaigns.js';
import { Dashboard } from './pages/Dashboard.js';
import { Donation } from './pages/Donation.js';
import { Donations } from './pages/Donations.js';
import { Erasure } from './pages/Erasure.js';
import { Health } from './pages/Health.js';
import { Invite } from './pages/Invite.js';
import { Login } from './pages/Login.js';
import { Settings } from './pages/Settings.js';
import { Outbox } from './pages/Outbox.js';
import { Payments } from './pages/Payments.js';
import { Statements } from './pages/Statements.js';
import { Subscribers } from './pages/Subscribers.js';
import { Link, navigate, useLocation } from './router.js';
import type { OrgSettings } from './types.js';
import { setOrgTimeZone } from './ui.js';
import { type Me, MeProvider, type Role } from './session.js';

function route(path: string, me: Me) {
  let m: RegExpExecArray | null;
  if (path === '/admin' || path === '/admin/campaigns') return <Campaigns />;
  if (path === '/admin/campaigns/new' && me.admin.role !== 'viewer') return <CampaignForm />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)\/edit$/.exec(path)) && me.admin.role !== 'viewer')
    return <CampaignForm key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)\/donations$/.exec(path))) return <Donations key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/campaigns\/([a-z0-9-]+)$/.exec(path))) return <Dashboard key={m[1]} slug={m[1]!} />;
  if ((m = /^\/admin\/donations\/([0-9a-f-]{36})$/.exec(path))) return <Donation key={m[1]} id={m[1]!} />;
  if (path === '/admin/subscribers') return <Subscribers />;
  if (path === '/admin/outbox') return <Outbox />;
  if (path === '/admin/payments') return <Payments role={me.admin.role} />;
  if (path === '/admin/audit') return <AuditLog />;
  if (path === '/admin/health') return <Health />;
  if (path === '/admin/admins') return <Admins me={me.admin.email} owner={me.admin.role === 'owner'} />;
  if (path === '/admin/settings') return <Settings />;
  if (path === '/admin/statements' && me.admin.role !== 'viewer') return <Statements />;
  if (path === '/admin/erasure' && me.admin.role === 'owner') return <Erasure />;
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
  ['/admin/payments', 'Payments'],
  ['/admin/subscribers', 'Subscribers'],
  ['/admin/outbox', 'E-mail'],
  ['/admin/statements', 'Statements'],
  ['/admin/audit', 'Audit log'],
  ['/admin/health', 'Webhooks'],
  ['/admin/admins', 'Admins'],
  ['/admin/settings', 'Settings'],
  ['/admin/erasure', 'Erasure'],
];
/** Pages a role cannot use are not offered. */
const NAV_NEEDS: Record<string, Role> = { '/admin/statements': 'editor', '/admin/erasure': 'owner' };
const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 };
const navLabel = (to: string, label: string, role: Role) => (to === '/admin/admins' && role !== 'owner' ? 'Your account' : label);
const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer' };

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState('');
  const [reauth, setReauth] = useState<((ok: boolean) => void) | null>(null);
  const pendingReauth = useRef<Promise<boolean> | null>(null);
  const { path } = useLocation();

  // Pages show and take dates in the organisation's zone, so it is known before any page renders.
  const signedIn = (m: Me) => {
    setCsrfToken(m.csrfToken);
    api<OrgSettings>('/settings')
      .then(
        (o) => setOrgTimeZone(o.timeZone),
        () => setOrgTimeZone('UTC'),
      )
      .finally(() => setMe(m));
  };

  useEffect(() => {
    setUnauthorizedHandler(() => setMe(null));
    // Several requests may want the password at once: one prompt answers them all.
    setReauthHandler(
      () =>
        (pendingReauth.current ??= new Promise<boolean>((resolve) => {
          setReauth(() => (ok: boolean) => {
            pendingReauth.current = null;
            setReauth(null);
            resolve(ok);
          });
        })),
    );
    api<Me>('/me').then(signedIn, (e: unknown) =>
      e instanceof ApiError && e.status === 401 ? setMe(null) : setError((e as Error).message),
    );
  }, []);

  const invite = /^\/admin\/(invite|reset)\/([\w-]+)$/.exec(path);
  if (invite) {
    return (
      <Invite
        key={path}
        purpose={invite[1] === 'reset' ? 'reset' : 'invite'}
        token={invite[2]!}
        onSignedIn={(m) => {
          signedIn(m);
          navigate('/admin', { replace: true });
        }}
      />
    );
  }
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
    <MeProvider value={me}>
      <header className="topbar">
        <Link to="/admin" className="brand">
          Groundswell
        </Link>
        <nav aria-label="Admin">
          {NAV.filter(([to]) => ROLE_RANK[me.admin.role] >= ROLE_RANK[NAV_NEEDS[to] ?? 'viewer']).map(([to, label]) => (
            <Link key={to} to={to} aria-current={current === to ? 'page' : undefined}>
              {navLabel(to, label, me.admin.role)}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span className="muted">
            {me.admin.email} · {ROLE_LABEL[me.admin.role]}
          </span>
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{route(path, me)}</main>
      {reauth && <ReauthDialog email={me.admin.email} onDone={reauth} />}
    </MeProvider>
  );
}
