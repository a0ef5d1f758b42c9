import { api } from '../api.js';
import { Link } from '../router.js';
import type { AuditEntry } from '../types.js';
import { ErrorNote, LoadMore, dateTime, useCursorList } from '../ui.js';

const ACTIONS: Record<string, string> = {
  'campaign.create': 'created campaign',
  'campaign.update': 'edited campaign',
  'campaign.archive': 'archived campaign',
  'campaign.unarchive': 'unarchived campaign',
  'offline_gift.create': 'recorded offline gift',
  'offline_gift.update': 'corrected offline gift',
  'offline_gift.void': 'voided offline gift',
  'offline_gift.restore': 'restored offline gift',
  'admin.create': 'added admin',
  'admin.password': 'changed the password of admin',
  'organisation.update': 'changed the organisation settings',
};

const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function AuditLog() {
  const { rows, error, more } = useCursorList(async (after) => {
    const r = await api<{ entries: AuditEntry[]; nextCursor: string | null }>(`/audit-log?limit=50${after ? `&cursor=${after}` : ''}`);
    return { rows: r.entries, nextCursor: r.nextCursor };
  });

  return (
    <>
      <header className="page-head">
        <h1>Audit log</h1>
      </header>
      <ErrorNote error={error} />
      {rows && rows.length === 0 && <p className="empty">No changes yet.</p>}
      {rows && rows.length > 0 && (
        <table className="table audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => {
              const keys = [...new Set([...Object.keys(e.before ?? {}), ...Object.keys(e.after ?? {})])];
              return (
                <tr key={e.id}>
                  <td>{dateTime(e.at)}</td>
                  <td>{e.admin ?? <span className="muted">command line</span>}</td>
                  <td>
                    {ACTIONS[e.action] ?? e.action}{' '}
                    {e.entity === 'organisation' ? null : e.entity === 'gift' ? (
                      <Link to={`/admin/donations/${e.entityId}`}>{e.entityId.slice(0, 8)}</Link>
                    ) : (
                      <span className="mono">
                        {e.entity === 'campaign'
                          ? show(e.after?.slug ?? e.before?.slug ?? `#${e.entityId}`)
                          : show(e.after?.email ?? `#${e.entityId}`)}
                      </span>
                    )}
                  </td>
                  <td>
                    <ul className="changes">
                      {keys.map((k) => (
                        <li key={k}>
                          <span className="muted">{k}:</span> {e.before ? <>{show(e.before[k])} → </> : null}
                          {show(e.after?.[k])}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <LoadMore more={more} />
    </>
  );
}
