import type { Db } from '../db/client';
import { appendAudit } from '../db/audit';
import { updateAgentRecord } from '../db/agents';
import { emitEvent } from '../db/events';
import { releaseLeases } from '../db/leases';
import { recordCheckpoint, type BoundaryState } from '../db/checkpoints';
import type { PubSub } from '../db/notify';
import type { AgentResult } from '../kernel/agent/state';

/** What the workflow reports when an agent exits. */
export type FinishAgentInput = AgentResult & { runId: string; error: string | null; boundary?: { historyEventId: number; state: BoundaryState } };

/** Builds the `finishAgent` activity: stores the outcome on the agent row and audits it (idempotent). */
export function createFinishAgent(db: Db, pubsub: PubSub) {
  return async function finishAgent(input: FinishAgentInput): Promise<void> {
    if (input.boundary) await recordCheckpoint(db, { agentId: input.agentId, runId: input.runId, step: input.steps, historyEventId: input.boundary.historyEventId, state: input.boundary.state });
    await updateAgentRecord(db, input.agentId, {
      status: input.status,
      step: input.steps,
      exitReason: input.exitReason,
      resultPageId: input.resultPageId,
      promptTokens: input.usage.promptTokens,
      completionTokens: input.usage.completionTokens,
      costUsd: input.usage.costUsd,
      error: input.error,
      runId: input.runId,
      finishedAt: new Date(),
    });
    // Completion, failure or kill frees whatever the agent reserved (its GPU).
    await releaseLeases(db, input.agentId);
    await appendAudit(db, {
      actor: 'kernel',
      action: `agent.${input.status}`,
      subject: input.agentId,
      data: { exitReason: input.exitReason, steps: input.steps, usage: input.usage },
      idempotencyKey: `agent.finish:${input.agentId}:${input.runId}`,
    });
    await emitEvent(db, pubsub, { agentId: input.agentId, step: input.steps, kind: 'agent.finished', data: { status: input.status, exitReason: input.exitReason } });
  };
}

/** Builds the `recordHold` activity: mirrors a suspension or wait onto the agent row (for listings). */
export function createRecordHold(db: Db, pubsub: PubSub) {
  return async function recordHold(input: { agentId: string; step: number; status: string; hold: string | null; detail?: string }): Promise<void> {
    await updateAgentRecord(db, input.agentId, { status: input.status });
    await emitEvent(db, pubsub, { agentId: input.agentId, step: input.step, kind: 'agent.status', data: { status: input.status, hold: input.hold, ...(input.detail ? { detail: input.detail } : {}) } });
  };
}
