import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
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
  await db.execute(sql`
    insert into ${checkpoints} (id, agent_id, step, run_id, branch, history_event_id, state)
    select ${checkpointId(at.agentId, at.step, at.runId)}, a.id, ${at.step}, ${at.runId}, a.branch, ${at.historyEventId}, ${checkpointState(at.agentId, at.step, at.state)}
    from ${agents} a where a.id = ${at.agentId}
    on conflict do nothing`);
}

/** A checkpoint's id: the agent, the step and the run (one per run and boundary). */
export function checkpointId(agentId: string, step: number, runId: string): string {
  return `${agentId}@${step}.${runId.slice(0, 8)}`;
}

/** A checkpoint's state as SQL: the small state, and the page table derived in Postgres (the agent's live pages up to the step). */
export function checkpointState(agentId: string, step: number, state: BoundaryState): SQL {
  return sql`${JSON.stringify({ ...state, step })}::jsonb || jsonb_build_object('pages', coalesce((
    select jsonb_agg(jsonb_build_object('id', p.id, 'tokens', p.tokens, 'kind', p.kind) order by p.step, p.id)
    from ${contextPages} p where p.agent_id = ${agentId} and p.step <= ${step} and not p.retired), '[]'::jsonb))`;
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
