import type { Db } from '../db/client';
import { appendAudit } from '../db/audit';
import { updateAgentRecord } from '../db/agents';
import type { AgentResult } from '../kernel/agent/state';

/** What the workflow reports when an agent exits. */
export type FinishAgentInput = AgentResult & { runId: string; error: string | null };

/** Builds the `finishAgent` activity: stores the outcome on the agent row and audits it (idempotent). */
export function createFinishAgent(db: Db) {
  return async function finishAgent(input: FinishAgentInput): Promise<void> {
    await updateAgentRecord(db, input.agentId, {
      status: input.status,
      step: input.steps,
      exitReason: input.exitReason,
      resultPageId: input.resultPageId,
      promptTokens: input.usage.promptTokens,
      completionTokens: input.usage.completionTokens,
      error: input.error,
      runId: input.runId,
      finishedAt: new Date(),
    });
    await appendAudit(db, {
      actor: 'kernel',
      action: `agent.${input.status}`,
      subject: input.agentId,
      data: { exitReason: input.exitReason, steps: input.steps, usage: input.usage },
      idempotencyKey: `agent.finish:${input.agentId}:${input.runId}`,
    });
  };
}
