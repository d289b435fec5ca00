import type { Db } from './client';
import { usageLedger } from './schema';

/** One line of the usage ledger: what one model call cost, on which timeline and step, and for what. */
export type LedgerEntry = typeof usageLedger.$inferInsert & { part: 'reply' | 'summary' };

/** Records spend once: a retry that bills the same (agent, branch, step, part) again adds nothing. */
export async function bill(db: Db, entry: LedgerEntry): Promise<void> {
  await db.insert(usageLedger).values(entry).onConflictDoNothing();
}
