import { WorkflowNotFoundError } from '@temporalio/client';
import { asc, eq } from 'drizzle-orm';
import { createAgentRecord, getAgentRecord, listAgentRecords, updateAgentRecord, type AgentRow } from '../../db/agents';
import { appendAudit } from '../../db/audit';
import { readPages, toPageRef } from '../../db/pages';
import { contextPages } from '../../db/schema';
import { newAgentId, type SpawnAgent } from '../../kernel/agent/spawn';
import { agentRunInput } from '../../kernel/agent/run-input';
import type { AgentSnapshot, AgentStatus } from '../../kernel/agent/state';
import { startAgentRun } from './start-run';
import { placementOverrides } from './migrate';
import type { Budget } from '../../kernel/cost/budget';
import { reserveBudgetUpdate } from '../../workflows/agent-api';
import { KernelError, rootMessage } from '../../kernel/errors';
import type { agentWorkflow } from '../../workflows/agent';
import { isTerminal } from '../../kernel/agent/lifecycle';
import type { ApiDeps } from '../deps';
import type { AgentView } from './view';

const QUERY_DEADLINE_MS = 3_000;

/** Stores the agent and its input in Postgres, then starts its workflow; returns its view. */
export async function spawnAgent(deps: ApiDeps, spec: SpawnAgent): Promise<AgentView> {
  const model = spec.model ?? deps.defaultModel;
  const registry = deps.tools;
  const unknown = spec.tools.filter((t) => !registry.get(t));
  if (unknown.length > 0) throw new KernelError('invalid_input', `unknown tools: ${unknown.join(', ')} (available: ${registry.names().join(', ')})`);
  const placement = await placementOverrides(deps, spec.placement);
  const id = newAgentId(spec.name);
  let budget: Budget = { maxTotalTokens: spec.constraints.maxTotalTokens, maxCostUsd: spec.constraints.maxCostUsd };
  if (spec.parentId) budget = await reserveFromParent(deps, spec.parentId, id, budget);
  const { agent, input } = await createAgentRecord(deps.db, id, { ...spec, model });
  await appendAudit(deps.db, { actor: 'api', action: 'agent.spawned', subject: id, data: { name: spec.name, model }, idempotencyKey: `agent.spawn:${id}` });
  try {
    const run = agentRunInput(
      { agentId: id, model, taskQueue: deps.taskQueue, pages: [toPageRef(input)], maxSteps: spec.constraints.maxSteps },
      {
        tenant: spec.tenant,
        priority: spec.priority,
        maxTokensPerStep: spec.constraints.maxTokensPerStep,
        stepTimeoutMs: spec.constraints.stepTimeoutMs,
        budget,
        tools: registry.policies(spec.tools),
        agingIntervalMs: deps.agingIntervalMs,
        parentId: spec.parentId ?? null,
        ...placement,
      },
    );
    const runId = await startAgentRun(deps, run, { name: spec.name, summary: `${spec.name}: ${spec.goal}`, memo: { name: spec.name, role: spec.role } });
    return toView(deps, { ...agent, runId }, null);
  } catch (err) {
    const message = `could not start the agent's workflow: ${(err as Error).message}`;
    await updateAgentRecord(deps.db, id, { status: 'failed', error: message, exitReason: 'error' });
    throw new KernelError('unavailable', message, { cause: err });
  }
}

/** Asks the parent's workflow to lend part of its remaining budget; refuses a parent that is gone. */
async function reserveFromParent(deps: ApiDeps, parentId: string, childId: string, request: Budget): Promise<Budget> {
  const parent = await getAgentRecord(deps.db, parentId);
  if (!parent) throw new KernelError('not_found', `no parent agent with id "${parentId}"`);
  try {
    return await deps.client.workflow.getHandle(parent.workflowId).executeUpdate(reserveBudgetUpdate, { args: [{ childId, request }] });
  } catch (err) {
    throw new KernelError('conflict', `parent ${parentId} cannot lend budget: ${rootMessage(err)}`, { cause: err });
  }
}


/** The agent's view: live from its workflow while it runs, from its row once finished. */
export async function describeAgent(deps: ApiDeps, id: string): Promise<AgentView> {
  const row = await getAgentRecord(deps.db, id);
  if (!row) throw new KernelError('not_found', `no agent with id "${id}"`);
  const live = isTerminal(row.status) ? null : await queryState(deps, row);
  return toView(deps, row, live);
}

/** Stored agents, newest first (no workflow queries: a cheap listing). */
export async function listAgents(deps: ApiDeps, limit: number, offset: number): Promise<AgentView[]> {
  const rows = await listAgentRecords(deps.db, limit, offset);
  return Promise.all(rows.map((row) => toView(deps, row, null)));
}

/** The agent's pages (its conversation), in step order. */
export async function agentPages(deps: ApiDeps, id: string) {
  const row = await getAgentRecord(deps.db, id);
  if (!row) throw new KernelError('not_found', `no agent with id "${id}"`);
  const pages = await deps.db.select().from(contextPages).where(eq(contextPages.agentId, id)).orderBy(asc(contextPages.step), asc(contextPages.createdAt));
  return pages.map((p) => ({ id: p.id, step: p.step, kind: p.kind, role: p.role, tokens: p.tokens, body: p.body, createdAt: p.createdAt.toISOString() }));
}

async function queryState(deps: ApiDeps, row: AgentRow): Promise<AgentSnapshot | null> {
  try {
    const handle = deps.client.workflow.getHandle<typeof agentWorkflow>(row.workflowId);
    return await deps.client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<AgentSnapshot>('state'));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) deps.logger.warn({ err, agentId: row.id }, 'state query failed; showing the stored row');
    return null;
  }
}

async function toView(deps: ApiDeps, row: AgentRow, live: AgentSnapshot | null): Promise<AgentView> {
  const resultPageId = live?.resultPageId ?? row.resultPageId;
  const result = resultPageId ? ((await readPages(deps.db, [resultPageId]))[0]?.body ?? null) : null;
  const usage = live?.usage ?? { promptTokens: row.promptTokens, completionTokens: row.completionTokens, costUsd: row.costUsd };
  const workflowUrl = deps.temporalUiUrl
    ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.client.options.namespace)}/workflows/${encodeURIComponent(row.workflowId)}`
    : null;
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    goal: row.goal,
    model: row.model,
    tenant: row.tenant,
    priority: live?.priority ?? row.priority,
    parentId: row.parentId,
    status: (live?.status ?? row.status) as AgentStatus,
    hold: live?.hold ?? null,
    holdDetail: live?.holdDetail ?? null,
    node: (live ? live.node : row.node) ?? null,
    gpu: live?.gpuLease ? { nodeId: live.gpuLease.nodeId, gpuIndex: live.gpuLease.gpuIndex, memoryMiB: live.gpuLease.memoryMiB } : null,
    branch: row.branch,
    pendingApproval: live?.pendingApproval ?? null,
    budget: live?.budget ?? null,
    step: live?.step ?? row.step,
    maxSteps: row.maxSteps,
    usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens },
    exitReason: live?.exitReason ?? row.exitReason,
    error: live?.error ?? row.error,
    result,
    live: live !== null,
    workflow: { workflowId: row.workflowId, runId: row.runId, url: workflowUrl },
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
