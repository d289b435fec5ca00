import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { isTerminal } from '../kernel/agent/lifecycle';
import { KernelError } from '../kernel/errors';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { rowsOf } from './raw-rows';
import { agentEvents, agents, checkpoints, contextPages, memories, toolCalls } from './schema';
import type { ForkOrigin } from './scope';

/** What erasing an agent removed (counts only: an erasure never records what was said). */
export interface Erasure {
  agentId: string;
  pages: number;
  checkpoints: number;
  events: number;
  toolCalls: number;
  memories: number;
  /** Forks that read this agent's pages and now hold their own copy of them. */
  forksCopied: string[];
  /** True when the agent had been erased before (nothing more was removed). */
  alreadyErased: boolean;
  /** The Temporal workflow id whose executions must go too. */
  workflowId: string;
}

/**
 * Erases a finished agent's content in one transaction: its pages (with their full-text vectors and
 * embeddings), checkpoints, events, tool calls and memories. Forks that still read its pages get
 * their own copy first (copy-on-write, completed), so deleting a parent never changes what a fork
 * sees. The ledger keeps its billing rows (they hold no content) and the row stays as a tombstone
 * (name, goal and definition wiped) so those rows keep their owner; the audit log records the
 * erasure with counts only. A live agent is refused (kill it first).
 */
export async function eraseAgent(db: Db, agentId: string, actor: string, reason: 'request' | 'retention'): Promise<Erasure> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ status: agents.status, deletedAt: agents.deletedAt, workflowId: agents.workflowId }).from(agents).where(eq(agents.id, agentId)).for('update');
    if (!row) throw new KernelError('not_found', `no agent with id "${agentId}"`);
    const empty = { agentId, pages: 0, checkpoints: 0, events: 0, toolCalls: 0, memories: 0, forksCopied: [], workflowId: row.workflowId };
    if (row.deletedAt) return { ...empty, alreadyErased: true };
    if (!isTerminal(row.status)) throw new KernelError('conflict', `agent "${agentId}" is ${row.status}; kill it (POST /agents/${agentId}/kill) before deleting it`);

    const forksCopied = await copyIntoForks(tx, agentId);
    const pages = await tx.delete(contextPages).where(eq(contextPages.agentId, agentId)).returning({ id: contextPages.id });
    const cps = await tx.delete(checkpoints).where(eq(checkpoints.agentId, agentId)).returning({ id: checkpoints.id });
    const events = await tx.delete(agentEvents).where(eq(agentEvents.agentId, agentId)).returning({ seq: agentEvents.seq });
    const calls = await tx.delete(toolCalls).where(eq(toolCalls.agentId, agentId)).returning({ id: toolCalls.id });
    await tx.update(memories).set({ supersedesId: null }).where(eq(memories.agentId, agentId));
    const mems = await tx.delete(memories).where(eq(memories.agentId, agentId)).returning({ id: memories.id });
    await tx
      .update(agents)
      .set({ name: 'deleted', role: 'deleted', goal: '', backstory: null, definition: { erased: true }, resultPageId: null, error: null, holdDetail: null, pendingApproval: null, deletedAt: new Date(), updatedAt: new Date() })
      .where(eq(agents.id, agentId));
    const erasure: Erasure = { agentId, pages: pages.length, checkpoints: cps.length, events: events.length, toolCalls: calls.length, memories: mems.length, forksCopied, alreadyErased: false, workflowId: row.workflowId };
    const { alreadyErased: _a, workflowId: _w, ...counts } = erasure;
    await appendAuditIn(tx, { actor, action: 'agent.deleted', subject: agentId, data: { ...counts, reason }, idempotencyKey: `agent.deleted:${agentId}` });
    return erasure;
  });
}

/** Forks (not erased) whose lineage reads `agentId`'s pages: each gets a copy of the pages it sees, and drops that lineage entry. */
async function copyIntoForks(tx: Db, agentId: string): Promise<string[]> {
  const forks = await tx
    .select({ id: agents.id, definition: agents.definition })
    .from(agents)
    .where(and(isNull(agents.deletedAt), sql`${agents.definition}->'lineage' @> ${JSON.stringify([{ agentId }])}::jsonb`));
  for (const fork of forks) {
    const definition = fork.definition as { lineage?: ForkOrigin[] };
    const origin = (definition.lineage ?? []).find((o) => o.agentId === agentId);
    if (!origin) continue;
    // Purposes are prefixed so the copies cannot collide with the fork's own (agent, step, purpose) keys.
    await tx.execute(sql`
      insert into ${contextPages} (id, agent_id, kind, role, body, tokens, importance, pinned, retired, step, purpose, last_access_step, access_count, parent_page_id, meta)
      select ${fork.id} || '~' || id, ${fork.id}, kind, role, body, tokens, importance, pinned, retired, step, 'inherited:' || purpose, last_access_step, access_count, null, meta
      from ${contextPages} where agent_id = ${agentId} and step <= ${origin.step}::int
      on conflict do nothing`);
    const lineage = (definition.lineage ?? []).filter((o) => o.agentId !== agentId);
    await tx.update(agents).set({ definition: { ...definition, lineage } }).where(eq(agents.id, fork.id));
  }
  return forks.map((f) => f.id);
}

/** Erased agents whose Temporal executions are not deleted yet (a failed or interrupted deletion is retried from here). */
export async function historiesToDelete(db: Db, limit = 100): Promise<Array<{ id: string; workflowId: string }>> {
  return db.select({ id: agents.id, workflowId: agents.workflowId }).from(agents).where(and(sql`${agents.deletedAt} is not null`, isNull(agents.historyDeletedAt))).limit(limit);
}

/** Marks erased agents' Temporal executions as deleted. */
export async function markHistoryDeleted(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db.update(agents).set({ historyDeletedAt: new Date() }).where(inArray(agents.id, ids));
}

/** Finished, not yet erased agents of `tenant` that finished before `before` (a retention policy's due list). */
export async function finishedBefore(db: Db, tenant: string, before: Date, limit = 200): Promise<string[]> {
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`select id from ${agents} where tenant = ${tenant} and deleted_at is null and finished_at is not null and finished_at < ${before.toISOString()}::timestamptz and id not like 'crew-%@%' order by finished_at limit ${limit}::int`),
  );
  return rows.map((r) => r.id);
}
