import type { Db } from '../db/client';
import { sweepExpiredMemories } from '../db/memories';

/** Builds the `sweepExpiredMemories` activity: forgets short-term memories past their end (deleted, audited). */
export function createMemorySweep(db: Db) {
  return { sweepExpiredMemories: () => sweepExpiredMemories(db) };
}
