import { QueryRejectedError, WorkflowNotFoundError } from '@temporalio/client';
import { asc, eq, inArray, or } from 'drizzle-orm';
import { getAgentRecord, isCrewOwner, listAgentRecords, type AgentRow } from '../db/agents';
import { readPages } from '../db/pages';
import { agents, contextPages, crews } from '../db/schema';
import { isTerminal } from '../kernel/agent/lifecycle';
import { startingSnapshot, type AgentRunInput, type AgentSnapshot, type AgentStatus, type HoldReason } from '../kernel/agent/state';
import type { AgentView } from '../kernel/agent/view';
import type { PendingApproval } from '../kernel/tools/policy';
import { KernelError, rootMessage } from '../kernel/errors';
import type { ControlDeps } from './deps';
import { reconcileQuietly } from './reconcile';
import { withTemporal } from './temporal';

const QUERY_DEADLINE_MS = 3_000;
/** How many live agents a listing queries at once. */
const LIST_CONCURRENCY = 16;

/** The agent's row, or a 404. */
export async function agentRow(deps: Pick<ControlDeps, 'db'>, id: string): Promise<AgentRow> {
  const row = await getAgentRecord(deps.db, id);
  // A crew's page-owner record is not an agent (its id is the crew's: `crew.…`).
  if (!row || isCrewOwner(row)) throw new KernelError('not_found', `no agent with id "${id}"`);
  if (row.deletedAt) throw new KernelError('not_found', `agent "${id}" was deleted`);
  return row;
}

/**
 * An agent's view, the one code path for a single read and a listing: a live agent's state comes
 * from its workflow's `state` query; a workflow that turns out to be closed (the query is rejected)
 * is reconciled first, so the answer never says live about a closed run; with Temporal unreachable
 * the stored row answers (`live: false`).
 */
async function viewOf(deps: ControlDeps, row: AgentRow): Promise<AgentView> {
  if (isTerminal(row.status)) return toView(deps, row, null);
  try {
    const handle = deps.client.workflow.getHandle(row.workflowId);
    const live = await withTemporal(deps, 'read the agent’s live state', () => handle.query<AgentSnapshot>('state'), QUERY_DEADLINE_MS);
    return toView(deps, row, live);
  } catch (err) {
    if (isClosedRun(err)) return toView(deps, await reconcileQuietly(deps, row), null);
    deps.logger.warn({ agentId: row.id, reason: rootMessage(err) }, 'state query failed; showing the stored row');
    return toView(deps, row, null);
  }
}

/** True when a query failed because the run is closed (the client rejects queries of closed runs) or gone. */
function isClosedRun(err: unknown): boolean {
  // The dev server sends a rejection without a status, which the SDK reports as a TypeError.
  return err instanceof QueryRejectedError || err instanceof WorkflowNotFoundError || (err instanceof TypeError && /queryRejected/.test(err.message));
}

/** Views of several agents, in order, querying at most {@link LIST_CONCURRENCY} live ones at once. */
export async function agentViews(deps: ControlDeps, rows: readonly AgentRow[]): Promise<AgentView[]> {
  const views: AgentView[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      views[i] = await viewOf(deps, rows[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, rows.length) }, worker));
  return views;
}

/**
 * The view of an agent whose workflow this process has just started: its state is what the run was
 * started with (running, at its first step), taken from the run input rather than asked of the
 * workflow — a spawn does not cost a workflow query (under load, a query waits for a workflow task
 * and can take seconds). `live` is false: it is the record, not the workflow, that answers.
 */
export async function startedAgentView(deps: ControlDeps, id: string, run: AgentRunInput): Promise<AgentView> {
  const row = await agentRow(deps, id);
  if (row.status !== 'ready') return describeAgent(deps, id);
  // A started run is running from its first workflow task on (the workflow's first transition).
  const started: AgentSnapshot = { ...startingSnapshot(run), status: 'running', pages: [] };
  return { ...(await toView(deps, row, started)), live: false };
}

/** One agent's view (see {@link agentViews}). */
export async function describeAgent(deps: ControlDeps, id: string): Promise<AgentView> {
  const [view] = await agentViews(deps, [await agentRow(deps, id)]);
  return view!;
}

/** Agents, newest first, each exactly as {@link describeAgent} shows it. */
export async function listAgents(deps: ControlDeps, limit: number, offset: number, tenant: string | null = null): Promise<AgentView[]> {
  return agentViews(deps, await listAgentRecords(deps.db, limit, offset, tenant));
}

/** The agent's pages (its conversation), in step order. */
export async function agentPages(deps: ControlDeps, id: string) {
  await agentRow(deps, id);
  const pages = await deps.db.select().from(contextPages).where(eq(contextPages.agentId, id)).orderBy(asc(contextPages.step), asc(contextPages.createdAt));
  return pages.map((p) => ({ id: p.id, step: p.step, kind: p.kind, role: p.role, tokens: p.tokens, body: p.body, createdAt: p.createdAt.toISOString() }));
}

async function toView(deps: ControlDeps, row: AgentRow, live: AgentSnapshot | null): Promise<AgentView> {
  const resultPageId = live?.resultPageId ?? row.resultPageId;
  const result = resultPageId ? ((await readPages(deps.db, [resultPageId]).catch(() => []))[0]?.body ?? null) : null;
  const usage = live?.usage ?? { promptTokens: row.promptTokens, completionTokens: row.completionTokens, costUsd: row.costUsd };
  const workflowUrl = deps.temporalUiUrl
    ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.client.options.namespace)}/workflows/${encodeURIComponent(row.workflowId)}`
    : null;
  const terminal = isTerminal(row.status);
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
    hold: terminal ? null : (live ? live.hold : (row.hold as HoldReason)),
    holdDetail: terminal ? null : (live ? live.holdDetail : row.holdDetail),
    node: (live ? live.node : row.node) ?? null,
    gpu: live?.gpuLease ? { nodeId: live.gpuLease.nodeId, gpuIndex: live.gpuLease.gpuIndex, memoryMiB: live.gpuLease.memoryMiB } : null,
    branch: row.branch,
    pendingApproval: terminal ? null : (live ? live.pendingApproval : ((row.pendingApproval as PendingApproval | null) ?? null)),
    budget: live?.budget ?? null,
    step: live?.step ?? row.step,
    maxSteps: row.maxSteps,
    usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens },
    exitReason: live?.exitReason ?? row.exitReason,
    error: (live ? live.error : row.error) || null,
    result,
    live: live !== null,
    workflow: { workflowId: row.workflowId, runId: row.runId, url: workflowUrl },
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** One agent in a delegation tree: who it is, where it stands, what it spent, and its sub-agents (a sub-crew's members among them). */
export type AgentTreeNode = {
  id: string;
  name: string;
  status: string;
  step: number;
  /** The crew the agent is a member of: for a sub-crew, the crew its parent started with `spawn_crew`. */
  crewId: string | null;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
  children: AgentTreeNode[];
};

/** How far down a tree is read. */
const TREE_DEPTH = 6;
const TREE_NODES = 500;

/**
 * The agent and everything it delegated to, level by level, from the rows: sub-agents (`parentId`)
 * and the members of sub-crews it started (`crews.parentAgentId`), each marked with its crew.
 */
export async function agentTree(deps: Pick<ControlDeps, 'db'>, id: string): Promise<AgentTreeNode> {
  const root = await agentRow(deps, id);
  const toNode = (r: AgentRow): AgentTreeNode => ({ id: r.id, name: r.name, status: r.status, step: r.step, crewId: r.crewId, usage: { promptTokens: r.promptTokens, completionTokens: r.completionTokens, costUsd: r.costUsd }, children: [] });
  const top = toNode(root);
  let level = [top];
  let seen = 1;
  for (let depth = 0; depth < TREE_DEPTH && level.length > 0 && seen < TREE_NODES; depth++) {
    const byId = new Map(level.map((n) => [n.id, n]));
    const subCrews = await deps.db.select({ id: crews.id, parent: crews.parentAgentId }).from(crews).where(inArray(crews.parentAgentId, [...byId.keys()]));
    const crewParent = new Map(subCrews.map((c) => [c.id, c.parent!]));
    const under = subCrews.length > 0 ? or(inArray(agents.parentId, [...byId.keys()]), inArray(agents.crewId, [...crewParent.keys()])) : inArray(agents.parentId, [...byId.keys()]);
    const rows = await deps.db.select().from(agents).where(under).orderBy(asc(agents.createdAt)).limit(TREE_NODES - seen);
    const next: AgentTreeNode[] = [];
    for (const r of rows) {
      const n = toNode(r);
      byId.get(r.parentId ?? crewParent.get(r.crewId ?? '') ?? '')?.children.push(n);
      next.push(n);
    }
    seen += rows.length;
    level = next;
  }
  return top;
}
