import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Budget, Spend } from '../kernel/cost/budget';
import type { Db } from './client';
import { agents, checkpoints, contextPages } from './schema';

/** The agent's small state at a step boundary, as the workflow reports it. */
export interface BoundaryState {
  status: string;
  priority: number;
  usage: Spend;
  budget: Budget;
}

/** A stored checkpoint. */
export type CheckpointRow = typeof checkpoints.$inferSelect;

/**
 * Records the boundary after `step` (idempotent per agent, run and step): the workflow's small state,
 * the history length at that point (for reset), and the page table derived from Postgres — the
 * agent's own pages up to the step, so the page table never travels through workflow history.
 */
export async function recordCheckpoint(db: Db, at: { agentId: string; runId: string; step: number; historyEventId: number; state: BoundaryState }): Promise<void> {
  const pages = await db
    .select({ id: contextPages.id, tokens: contextPages.tokens, kind: contextPages.kind })
    .from(contextPages)
    .where(and(eq(contextPages.agentId, at.agentId), lte(contextPages.step, at.step), eq(contextPages.retired, false)))
    .orderBy(asc(contextPages.step), asc(contextPages.id));
  await db
    .insert(checkpoints)
    .values({ id: `${at.agentId}@${at.step}.${at.runId.slice(0, 8)}`, agentId: at.agentId, step: at.step, runId: at.runId, branch: sql`(select ${agents.branch} from ${agents} where ${agents.id} = ${at.agentId})`, historyEventId: at.historyEventId, state: { ...at.state, step: at.step, pages } })
    .onConflictDoNothing();
}

/** An agent's checkpoints, oldest first. */
export async function listCheckpoints(db: Db, agentId: string): Promise<CheckpointRow[]> {
  return db.select().from(checkpoints).where(eq(checkpoints.agentId, agentId)).orderBy(asc(checkpoints.step), asc(checkpoints.createdAt));
}

/** One checkpoint of an agent. */
export async function getCheckpoint(db: Db, agentId: string, id: string): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(checkpoints).where(and(eq(checkpoints.agentId, agentId), eq(checkpoints.id, id))).limit(1);
  return row;
}
