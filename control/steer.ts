import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { enteringStep, getAgentRecord, type AgentRow } from '../../db/agents';
import { appendAudit } from '../../db/audit';
import { toPageRef, writePage } from '../../db/pages';
import { toolCalls } from '../../db/schema';
import type { Budget } from '../../kernel/cost/budget';
import { KernelError, rootMessage } from '../../kernel/errors';
import type { ApprovalDecision } from '../../kernel/tools/policy';
import { approveToolCallUpdate, killSignal, messageSignal, pauseSignal, raiseBudgetUpdate, resumeSignal, setPriorityUpdate } from '../../workflows/agent-api';
import type { ApiDeps } from '../deps';

async function liveAgent(deps: ApiDeps, id: string): Promise<AgentRow> {
  const row = await getAgentRecord(deps.db, id);
  if (!row) throw new KernelError('not_found', `no agent with id "${id}"`);
  return row;
}

/** Runs a signal or update; a closed workflow or a rejected update becomes a 409 with the reason. */
async function control<T>(row: AgentRow, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(rootMessage(err))) {
      throw new KernelError('conflict', `agent ${row.id} is not running (${row.status}); cannot ${what}`, { cause: err });
    }
    if (err instanceof WorkflowUpdateFailedError) throw new KernelError('conflict', `${what} refused: ${rootMessage(err)}`, { cause: err });
    throw err;
  }
}

/** Sends a lifecycle signal (pause, resume, kill) and audits who sent it. */
export async function signalLifecycle(deps: ApiDeps, id: string, action: 'pause' | 'resume' | 'kill', reason: string | undefined, actor: string): Promise<void> {
  const row = await liveAgent(deps, id);
  const handle = deps.client.workflow.getHandle(row.workflowId);
  await control(row, action, () =>
    action === 'pause' ? handle.signal(pauseSignal, { reason }) : action === 'resume' ? handle.signal(resumeSignal) : handle.signal(killSignal, { reason }),
  );
  await appendAudit(deps.db, { actor, action: `agent.${action}`, subject: id, data: { reason: reason ?? null }, idempotencyKey: `agent.${action}:${id}:${randomUUID()}` });
}

/** Stores a user message as a page, then signals its reference into the agent's next step. */
export async function sendMessage(deps: ApiDeps, id: string, text: string): Promise<{ pageId: string }> {
  const row = await liveAgent(deps, id);
  const page = await writePage(deps.db, { agentId: id, step: enteringStep(row), purpose: `message:${randomUUID()}`, kind: 'message', role: 'user', body: text, importance: 0.8 });
  await control(row, 'send a message', () => deps.client.workflow.getHandle(row.workflowId).signal(messageSignal, toPageRef(page)));
  return { pageId: page.id };
}

/** Changes the agent's priority through a validated update. */
export async function setPriority(deps: ApiDeps, id: string, priority: number): Promise<number> {
  const row = await liveAgent(deps, id);
  return control(row, 'change priority', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(setPriorityUpdate, { args: [priority] }));
}

/** Approves or rejects the pending tool call; the workflow refuses stale ids and self-approval. */
export async function decideToolCall(deps: ApiDeps, id: string, decision: ApprovalDecision): Promise<{ callId: string; approved: boolean }> {
  const row = await liveAgent(deps, id);
  const result = await control(row, 'decide the tool call', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(approveToolCallUpdate, { args: [decision] }));
  await appendAudit(deps.db, { actor: decision.approver, action: decision.approved ? 'tool.approved' : 'tool.rejected', subject: `${id}:${decision.callId}`, data: { reason: decision.reason ?? null }, idempotencyKey: `tool.decision:${id}:${decision.callId}` });
  return result;
}

/** Raises the budget; a budget-suspended agent resumes. */
export async function raiseBudget(deps: ApiDeps, id: string, patch: Partial<Budget>): Promise<Budget> {
  const row = await liveAgent(deps, id);
  return control(row, 'raise the budget', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(raiseBudgetUpdate, { args: [patch] }));
}

/** The agent's tool calls (tool memory), oldest first. */
export async function listToolCalls(deps: ApiDeps, id: string) {
  await liveAgent(deps, id);
  const rows = await deps.db.select().from(toolCalls).where(eq(toolCalls.agentId, id)).orderBy(asc(toolCalls.step), asc(toolCalls.createdAt));
  return rows.map((r) => ({ callId: r.callId, step: r.step, tool: r.tool, arguments: r.arguments as Record<string, unknown>, status: r.status, decidedBy: r.decidedBy, result: r.result, durationMs: r.durationMs, createdAt: r.createdAt.toISOString() }));
}
