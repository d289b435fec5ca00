import { and, eq, gt, notInArray, sql } from 'drizzle-orm';
import { isTerminal, TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { Spend } from '../kernel/cost/budget';
import { appendAudit } from './audit';
import type { Db } from './client';
import { EVENTS_CHANNEL } from './events';
import { releaseLeases } from './leases';
import type { PubSub } from './notify';
import { agentEvents, agents, contextPages, usageLedger } from './schema';

/** How an agent's run ended, as the kernel records it. */
export interface Closing {
  agentId: string;
  runId: string;
  status: 'completed' | 'failed' | 'terminated';
  /** final_answer, max_steps, error, killed — or, for runs closed outside the kernel, terminated, cancelled, timed_out. */
  exitReason: string;
  error: string | null;
  step?: number;
  usage?: Spend;
  resultPageId?: string | null;
  /** `kernel`: the workflow reported its own end; `temporal`: the run was closed outside it and reconciled. */
  closedBy: 'kernel' | 'temporal';
}

/**
 * Records an agent's end in one transaction holding its row: the terminal state, its GPU leases
 * released, the `agent.finished` event (after which no fenced write of the agent can commit) and the
 * audit entry (one per run). A row that is already terminal is left alone. Returns whether it closed.
 */
export async function closeAgentRecord(db: Db, pubsub: PubSub, c: Closing): Promise<boolean> {
  const closed = await db.transaction(async (tx) => {
    const [row] = await tx.select({ status: agents.status, step: agents.step }).from(agents).where(eq(agents.id, c.agentId)).for('update');
    if (!row || isTerminal(row.status)) return false;
    const step = c.step ?? row.step;
    await tx
      .update(agents)
      .set({
        status: c.status,
        step,
        exitReason: c.exitReason,
        error: c.error || null,
        runId: c.runId,
        hold: null,
        holdDetail: null,
        pendingApproval: null,
        finishedAt: new Date(),
        updatedAt: new Date(),
        ...(c.resultPageId !== undefined ? { resultPageId: c.resultPageId } : {}),
        ...(c.usage ? { promptTokens: c.usage.promptTokens, completionTokens: c.usage.completionTokens, costUsd: c.usage.costUsd } : {}),
      })
      .where(and(eq(agents.id, c.agentId), notInArray(agents.status, [...TERMINAL_STATUSES])));
    // A step that committed after the kill was requested but before this close (the cancellation had
    // not reached it yet) is a killed step's too: its reply leaves the agent's view and its bill is marked.
    if (c.status === 'terminated') await discardStepsAfter(tx, c.agentId, step);
    // Completion, failure or kill frees whatever the agent reserved: its GPU, and the cost estimates of
    // calls it had in flight (a call that still finishes is billed as a killed step's, not reconciled).
    await releaseLeases(tx, c.agentId);
    await tx.delete(usageLedger).where(and(eq(usageLedger.agentId, c.agentId), eq(usageLedger.state, 'reserved')));
    await tx.insert(agentEvents).values({ agentId: c.agentId, step, kind: 'agent.finished', data: { status: c.status, exitReason: c.exitReason, closedBy: c.closedBy } });
    await appendAudit(tx, {
      actor: c.closedBy,
      action: `agent.${c.status}`,
      subject: c.agentId,
      data: { exitReason: c.exitReason, steps: step, usage: c.usage ?? null, closedBy: c.closedBy, reason: c.closedBy === 'temporal' ? c.error : null },
      idempotencyKey: `agent.finish:${c.agentId}:${c.runId}`,
    });
    return true;
  });
  if (closed) await pubsub.notify(EVENTS_CHANNEL, c.agentId);
  return closed;
}

/** Retires the replies of steps after `step` and marks their bills as a killed step's (once). */
async function discardStepsAfter(tx: Db, agentId: string, step: number): Promise<void> {
  await tx
    .update(contextPages)
    .set({ retired: true, meta: sql`${contextPages.meta} || '{"killed": true}'::jsonb` })
    .where(and(eq(contextPages.agentId, agentId), gt(contextPages.step, step), eq(contextPages.retired, false)));
  await tx.execute(sql`
    update ${usageLedger} l set part = 'reply:killed'
    where l.agent_id = ${agentId} and l.step > ${step} and l.part = 'reply' and l.state = 'billed'
      and not exists (select 1 from ${usageLedger} k where k.agent_id = l.agent_id and k.branch = l.branch and k.step = l.step and k.part = 'reply:killed')`);
}
