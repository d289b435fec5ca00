import { and, eq, notInArray, sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { AgentRow } from './agents';
import type { Db } from './client';
import { EVENTS_CHANNEL, type AgentEvent } from './events';
import { agentEvents, agents } from './schema';
import { rowsOf } from './raw-rows';

/** Why a fenced write was refused: the agent ended, or a newer attempt took over. */
export type FenceRefusal = 'terminal' | 'superseded';

/**
 * Claims the agent for one activity attempt: takes the next fencing token and records the run the
 * attempt belongs to. Returns the claimed row, or null when the agent is terminal (nothing may run).
 */
export async function claimAgent(db: Db, agentId: string, runId: string): Promise<AgentRow | null> {
  const [row] = await db
    .update(agents)
    .set({ fence: sql`${agents.fence} + 1`, runId, updatedAt: new Date() })
    .where(and(eq(agents.id, agentId), notInArray(agents.status, [...TERMINAL_STATUSES])))
    .returning();
  return row ?? null;
}

/**
 * Marks a live agent as being killed: the fence moves on (no attempt in flight may commit) and the
 * kill is recorded as its exit reason, so what such an attempt was billed is marked a killed step's.
 */
export async function markKilling(db: Db, agentId: string): Promise<void> {
  await db
    .update(agents)
    .set({ fence: sql`${agents.fence} + 1`, exitReason: 'killed' })
    .where(and(eq(agents.id, agentId), notInArray(agents.status, [...TERMINAL_STATUSES])));
}

/** Takes back {@link markKilling} when the kill could not be delivered. */
export async function unmarkKilling(db: Db, agentId: string): Promise<void> {
  await db
    .update(agents)
    .set({ exitReason: null })
    .where(and(eq(agents.id, agentId), eq(agents.exitReason, 'killed'), notInArray(agents.status, [...TERMINAL_STATUSES])));
}

/**
 * Inside a transaction: locks the agent's row and says whether `fence` may still write — null when
 * it may, else why not. Writes made in the same transaction after a null answer cannot interleave
 * with a kill or a newer attempt (both take the same row lock).
 */
export async function fenceCheck(tx: Db, agentId: string, fence: number): Promise<FenceRefusal | null> {
  const [row] = await tx.select({ status: agents.status, fence: agents.fence, exitReason: agents.exitReason }).from(agents).where(eq(agents.id, agentId)).for('update');
  if (!row || (TERMINAL_STATUSES as readonly string[]).includes(row.status) || row.exitReason === 'killed') return 'terminal';
  return row.fence === fence ? null : 'superseded';
}

/**
 * Emits an event only while `fence` is the agent's current token and the agent is live: the check,
 * the insert and the NOTIFY for event streams are one statement (one round trip) that waits on the
 * row lock a finishing agent holds, so no event of a killed step can follow `agent.finished`.
 * Returns whether it was written.
 */
export async function emitFencedEvent(db: Db, event: AgentEvent, fence: number): Promise<boolean> {
  const terminal = sql.join(TERMINAL_STATUSES.map((s) => sql`${s}`), sql`, `);
  const result = await db.execute(sql`
    with ins as (
      insert into ${agentEvents} (agent_id, step, kind, data)
      select ${event.agentId}, ${event.step}, ${event.kind}, ${JSON.stringify(event.data ?? {})}::jsonb
      from ${agents}
      where ${agents.id} = ${event.agentId} and ${agents.fence} = ${fence} and ${agents.status} not in (${terminal})
      for share
      returning 1
    )
    select (select count(*) from ins)::int as written, (select count(*) from (select pg_notify(${EVENTS_CHANNEL}, ${event.agentId}) from ins) n)::int as notified`);
  const [row] = rowsOf<{ written: number }>(result);
  return Number(row?.written ?? 0) > 0;
}
