import { type MouseEvent, type ReactNode, createContext, useContext } from 'react';
import { ensureRecentAuth } from './api.js';

export type Role = 'owner' | 'editor' | 'viewer';

/** The signed-in admin, as /me, /login and an accepted invitation answer. */
export interface Me {
  admin: { id: number; email: string; role: Role };
  csrfToken: string;
  recentAuth?: boolean;
  recentAuthUntil?: string;
}

const MeContext = createContext<Me | null>(null);
export const MeProvider = MeContext.Provider;

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in console');
  return me;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 };

/** Whether the signed-in admin's role allows what `need` allows. The server checks again on
 * every request; the console only hides what would be refused. */
export function useCan(need: Role): boolean {
  return RANK[useMe().admin.role] >= RANK[need];
}

/**
 * A download of donor data: a plain link (the browser saves the file), but first the password
 * is asked for again if the last one is more than 10 minutes old (SPEC §11).
 */
export function ExportLink({ href, children }: { href: string; children: ReactNode }) {
  const click = async (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    try {
      await ensureRecentAuth();
    } catch {
      return;
    }
    location.assign(href);
  };
  return (
    <a className="button" href={href} download onClick={(e) => void click(e)}>
      {children}
    </a>
  );
}
