import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { enteringStep, type AgentRow, descendsFrom } from '../db/agents';
import { appendAudit } from '../db/audit';
import { markKilling, unmarkKilling } from '../db/fence';
import { toPageRef, writePage } from '../db/pages';
import { contextPages, toolCalls } from '../db/schema';
import { isTerminal } from '../kernel/agent/lifecycle';
import type { Budget } from '../kernel/cost/budget';
import { KernelError, rootMessage } from '../kernel/errors';
import type { ApprovalDecision } from '../kernel/tools/policy';
import { approveToolCallUpdate, killSignal, messageSignal, pauseSignal, raiseBudgetUpdate, resumeSignal, setPriorityUpdate } from '../workflows/agent-api';
import type { ControlDeps } from './deps';
import { reconcileQuietly } from './reconcile';
import { withTemporal } from './temporal';
import { agentRow } from './views';

/** The agent's row, checked against Temporal: a run closed outside the kernel is reconciled first, so a closed agent is refused with its true state. */
async function liveAgent(deps: ControlDeps, id: string, what: string): Promise<AgentRow> {
  const row = await agentRow(deps, id);
  if (isTerminal(row.status)) throw notRunning(row, what);
  return row;
}

function notRunning(row: AgentRow, what: string): KernelError {
  const why = row.exitReason ? `${row.status}, ${row.exitReason}` : row.status;
  return new KernelError('conflict', `agent ${row.id} is not running (${why}); cannot ${what}`);
}

/**
 * Runs a signal or update under the Temporal deadline: unreachable → 503; a closed workflow → the
 * row is reconciled and the answer is a 409 with the agent's true state; a rejected update → 409
 * with the workflow's reason.
 */
async function control<T>(deps: ControlDeps, row: AgentRow, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withTemporal(deps, what, fn);
  } catch (err) {
    if (err instanceof KernelError) throw err;
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(rootMessage(err))) {
      throw notRunning(await reconcileQuietly(deps, row), what);
    }
    if (err instanceof WorkflowUpdateFailedError) throw new KernelError('conflict', `${what} refused: ${rootMessage(err)}`, { cause: err });
    throw err;
  }
}

/** Sends a lifecycle signal (pause, resume, kill) and audits who sent it. */
export async function signalLifecycle(deps: ControlDeps, id: string, action: 'pause' | 'resume' | 'kill', reason: string | undefined, actor: string): Promise<void> {
  const row = await liveAgent(deps, id, action);
  const handle = deps.client.workflow.getHandle(row.workflowId);
  // A kill fences the agent first: a step that answers from now on cannot commit, even before the
  // cancellation reaches it.
  if (action === 'kill') await markKilling(deps.db, id);
  try {
    await control(deps, row, action, () =>
      action === 'pause' ? handle.signal(pauseSignal, { reason }) : action === 'resume' ? handle.signal(resumeSignal) : handle.signal(killSignal, { reason }),
    );
  } catch (err) {
    if (action === 'kill') await unmarkKilling(deps.db, id);
    throw err;
  }
  await appendAudit(deps.db, { actor, action: `agent.${action}`, subject: id, data: { reason: reason ?? null }, idempotencyKey: `agent.${action}:${id}:${randomUUID()}` });
}

/**
 * Stores a user message as a page (pinned, for an attachment), then signals its reference into the agent's next step. A refused
 * message stores nothing: a finished agent is refused before the write, and a signal that fails
 * (the run closed meanwhile, Temporal unreachable) takes its page back out.
 */
export async function sendMessage(deps: ControlDeps, id: string, text: string, options: { pinned?: boolean; meta?: Record<string, unknown> } = {}): Promise<{ pageId: string }> {
  const row = await liveAgent(deps, id, 'send a message');
  const page = await writePage(deps.db, { agentId: id, step: enteringStep(row), purpose: `message:${randomUUID()}`, kind: 'message', role: 'user', body: text, importance: 0.8, ...(options.pinned ? { pinned: true } : {}), ...(options.meta ? { meta: options.meta } : {}) });
  try {
    await control(deps, row, 'send a message', () => deps.client.workflow.getHandle(row.workflowId).signal(messageSignal, toPageRef(page)));
  } catch (err) {
    await deps.db.delete(contextPages).where(and(eq(contextPages.id, page.id), eq(contextPages.agentId, id)));
    throw err;
  }
  return { pageId: page.id };
}

/** Changes the agent's priority through a validated update. */
export async function setPriority(deps: ControlDeps, id: string, priority: number): Promise<number> {
  const row = await liveAgent(deps, id, 'change priority');
  return control(deps, row, 'change priority', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(setPriorityUpdate, { args: [priority] }));
}

/** Approves or rejects the pending tool call; the workflow refuses stale ids and self-approval. */
export async function decideToolCall(deps: ControlDeps, id: string, decision: ApprovalDecision, approverAgentId: string | null = null): Promise<{ callId: string; approved: boolean }> {
  // An agent's key approves neither its own calls nor those of anything it spawned, started or was forked into.
  if (approverAgentId && (await descendsFrom(deps.db, id, approverAgentId))) throw new KernelError('forbidden', `an agent's own credentials cannot approve its tool calls, nor its descendants'`);
  const row = await liveAgent(deps, id, 'decide the tool call');
  const result = await control(deps, row, 'decide the tool call', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(approveToolCallUpdate, { args: [decision] }));
  await appendAudit(deps.db, { actor: decision.approver, action: decision.approved ? 'tool.approved' : 'tool.rejected', subject: `${id}:${decision.callId}`, data: { reason: decision.reason ?? null }, idempotencyKey: `tool.decision:${id}:${decision.callId}` });
  return result;
}

/** Raises the budget; a budget-suspended agent resumes. */
export async function raiseBudget(deps: ControlDeps, id: string, patch: Partial<Budget>): Promise<Budget> {
  const row = await liveAgent(deps, id, 'raise the budget');
  return control(deps, row, 'raise the budget', () => deps.client.workflow.getHandle(row.workflowId).executeUpdate(raiseBudgetUpdate, { args: [patch] }));
}

/** The agent's tool calls (tool memory), oldest first. */
export async function listToolCalls(deps: ControlDeps, id: string) {
  await agentRow(deps, id);
  const rows = await deps.db.select().from(toolCalls).where(eq(toolCalls.agentId, id)).orderBy(asc(toolCalls.step), asc(toolCalls.createdAt));
  return rows.map((r) => ({ callId: r.callId, step: r.step, tool: r.tool, arguments: r.arguments as Record<string, unknown>, status: r.status, decidedBy: r.decidedBy, result: r.result, durationMs: r.durationMs, createdAt: r.createdAt.toISOString() }));
}
