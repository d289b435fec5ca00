import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { closeAgentRecord } from '../db/agent-close';
import { getAgentRecord } from '../db/agents';
import { emitEvent } from '../db/events';
import { recordCheckpoint, type BoundaryState } from '../db/checkpoints';
import type { PubSub } from '../db/notify';
import { agents, contextPages } from '../db/schema';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { AgentResult } from '../kernel/agent/state';
import type { PendingApproval } from '../kernel/tools/policy';
import { currentRun, isLatestRun } from './run-identity';
import { reviveIfReset } from './step-claim';
import type { Spend } from '../kernel/cost/budget';

/** What the workflow reports when an agent exits. */
export type FinishAgentInput = AgentResult & { runId: string; error: string | null; boundary?: { historyEventId: number; state: BoundaryState } };

/** Builds the `finishAgent` activity: stores the outcome on the agent row and audits it (idempotent; a leftover run's report is ignored). */
export function createFinishAgent(db: Db) {
  return async function finishAgent(input: FinishAgentInput): Promise<FinishedAgent> {
    // The row and, in the same statement, the head of the final answer (its page was written by the last step).
    const [row] = await db
      .select({ runId: agents.runId, answer: sql<string | null>`(select left(${contextPages.body}, ${ANSWER_PREVIEW_CHARS + 1}) from ${contextPages} where ${contextPages.id} = ${input.resultPageId ?? null})` })
      .from(agents)
      .where(eq(agents.id, input.agentId))
      .limit(1);
    if (!row) throw ApplicationFailure.nonRetryable(`agent ${input.agentId} is not in the database`, 'AgentNotFound');
    // A run that is no longer the workflow's latest (it was reset) does not speak for the agent.
    if (row.runId && row.runId !== input.runId && !(await isLatestRun())) return { answer: null };
    if (input.boundary) await recordCheckpoint(db, { agentId: input.agentId, runId: input.runId, step: input.steps, historyEventId: input.boundary.historyEventId, state: input.boundary.state });
    await closeAgentRecord(db, {
      agentId: input.agentId,
      runId: input.runId,
      status: input.status,
      exitReason: input.exitReason,
      error: input.error,
      step: input.steps,
      usage: input.usage,
      resultPageId: input.resultPageId,
      closedBy: 'kernel',
    });
    return { answer: row.answer === null ? null : preview(row.answer) };
  };
}

/** The first lines of the final answer, as the workflow's result shows them (the page holds it all). */
export const ANSWER_PREVIEW_CHARS = 280;

/** What finishing tells the workflow: a preview of the final answer, for its result in the Temporal UI. */
export interface FinishedAgent {
  answer: string | null;
}

/** The preview of an answer from its first {@link ANSWER_PREVIEW_CHARS} + 1 characters. */
function preview(head: string): string {
  return head.length > ANSWER_PREVIEW_CHARS ? `${head.slice(0, ANSWER_PREVIEW_CHARS - 1)}…` : head;
}

/** What a hold looks like on the agent's row. */
export interface RecordHoldInput {
  agentId: string;
  step: number;
  status: string;
  hold: string | null;
  detail?: string;
  /** The tool call waiting for a decision (hold `approval`). */
  pendingApproval?: PendingApproval | null;
  /** The agent's own spend at this boundary (where a reset that lands here rewinds to). */
  usage?: Spend;
}

/**
 * Builds the `recordHold` activity: mirrors a suspension or wait onto the agent row (the list reads
 * it), never over a terminal one — unless the run is a Temporal reset of the ended agent that landed
 * at this hold, which brings the agent back (see {@link reviveIfReset}).
 */
export function createRecordHold(db: Db, pubsub: PubSub) {
  const mirror = (input: RecordHoldInput) =>
    db
      .update(agents)
      .set({ status: input.status, hold: input.hold, holdDetail: input.detail ?? null, pendingApproval: input.pendingApproval ?? null, updatedAt: new Date() })
      .where(and(eq(agents.id, input.agentId), notInArray(agents.status, [...TERMINAL_STATUSES])))
      .returning({ id: agents.id });
  return async function recordHold(input: RecordHoldInput): Promise<void> {
    let updated = await mirror(input);
    if (updated.length === 0) {
      const row = await getAgentRecord(db, input.agentId);
      const { runId } = currentRun();
      if (!row || !(await reviveIfReset({ db, pubsub }, row, { agentId: input.agentId, runId, boundary: { toStep: input.step, usage: input.usage ?? { promptTokens: row.promptTokens, completionTokens: row.completionTokens, costUsd: row.costUsd } } }))) return;
      await db.update(agents).set({ runId }).where(eq(agents.id, input.agentId));
      updated = await mirror(input);
      if (updated.length === 0) return;
    }
    await emitEvent(db, pubsub, { agentId: input.agentId, step: input.step, kind: 'agent.status', data: { status: input.status, hold: input.hold, ...(input.detail ? { detail: input.detail } : {}) } });
  };
}
