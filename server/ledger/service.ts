import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type LedgerDeps, type OfflineGiftChange, type OfflineGiftInput, withLedger } from './ledger.js';

export { Ledger, donorKey, withLedger } from './ledger.js';

type Deps = LedgerDeps & { db: Kysely<Database> };

/** Offline gifts (cheques, cash) count at once, keyed offline:<gift id>. */
export async function recordOfflineGift(
  deps: Deps,
  input: OfflineGiftInput,
  /** Runs in the same transaction after the gift is written (the admin's audit row). */
  alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  await withLedger(deps.db, deps, async (ledger) => {
    await ledger.recordOfflineGift(input);
    await alsoInTransaction?.(ledger.trx);
  });
}

/** Corrects or voids an offline gift; the totals follow through the same recompute. */
export async function updateOfflineGift(
  deps: Deps,
  giftId: string,
  change: OfflineGiftChange,
  /** Runs in the same transaction after the change (the admin's audit row). */
  alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  await withLedger(deps.db, deps, async (ledger) => {
    await ledger.updateOfflineGift(giftId, change);
    await alsoInTransaction?.(ledger.trx);
  });
}
