import { QueryRejectedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { appendAudit } from '../db/audit';
import { crewRunNodes, getCrew, specOf, type CrewRow } from '../db/crews';
import { readPages } from '../db/pages';
import { crews } from '../db/schema';
import type { CrewView } from '../kernel/crew/view';
import { KernelError, rootMessage } from '../kernel/errors';
import type { ApprovalDecision } from '../kernel/tools/policy';
import { decideGateUpdate, type GateDecision } from '../workflows/crew-api';
import type { ControlDeps } from './deps';
import { decideToolCall } from './steer';
import { withTemporal } from './temporal';
import { descendsFrom } from '../db/agents';

/** How much of a node's result a crew view quotes (the full text is its result page). */
const EXCERPT_CHARS = 1_000;

/** A crew row, or a 404. */
export async function crewRow(deps: Pick<ControlDeps, 'db'>, id: string): Promise<CrewRow> {
  const crew = await getCrew(deps.db, id);
  if (!crew) throw new KernelError('not_found', `no crew with id "${id}"`);
  return crew;
}

/**
 * A crew run closed outside the kernel (terminated or cancelled in the Temporal UI) while its row says
 * running: the row is closed to match. Returns the row as it now stands.
 */
async function reconcileCrew(deps: ControlDeps, crew: CrewRow): Promise<CrewRow> {
  if (crew.status !== 'running' && crew.status !== 'ready') return crew;
  try {
    const d = await withTemporal(deps, 'read the crew', () => deps.client.workflow.getHandle(crew.id).describe(), 3_000);
    if (d.status.name === 'RUNNING') return crew;
    // finishCrew records a normal end before the run closes; this only catches what ended without it.
    const again = await getCrew(deps.db, crew.id);
    if (again && again.status !== 'running') return again;
    const status = d.status.name === 'COMPLETED' ? 'completed' : d.status.name === 'CANCELLED' || d.status.name === 'TERMINATED' ? 'cancelled' : 'failed';
    await deps.db.update(crews).set({ status, error: `its workflow ended ${d.status.name.toLowerCase()} in Temporal`, finishedAt: new Date() }).where(eq(crews.id, crew.id));
    await appendAudit(deps.db, { actor: 'temporal', action: `crew.${status}`, subject: crew.id, data: { run: crew.run, closedBy: 'temporal', temporalStatus: d.status.name }, idempotencyKey: `crew.finish:${crew.id}:${crew.run}` });
    return (await getCrew(deps.db, crew.id)) ?? crew;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return crew;
    deps.logger.warn({ crewId: crew.id, reason: rootMessage(err) }, 'could not check the crew’s workflow; showing the stored row');
    return crew;
  }
}

/** A crew as the API shows it: every node of its current run with status, timings, spend and result. */
export async function describeCrew(deps: ControlDeps, id: string): Promise<CrewView> {
  const crew = await reconcileCrew(deps, await crewRow(deps, id));
  const spec = specOf(crew);
  const rows = new Map((await crewRunNodes(deps.db, crew.id, crew.run)).map((r) => [r.nodeId, r]));
  const pageIds = [...rows.values()].flatMap((r) => (r.resultPageId ? [r.resultPageId] : []));
  const bodies = new Map((await readPages(deps.db, pageIds).catch(() => [])).map((p) => [p.id, p.body]));
  const workflowUrl = deps.temporalUiUrl ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.client.options.namespace)}/workflows/${encodeURIComponent(crew.id)}` : null;
  return {
    id: crew.id,
    name: crew.name,
    kind: crew.kind as CrewView['kind'],
    tenant: crew.tenant,
    status: crew.status as CrewView['status'],
    run: crew.run,
    budget: spec.budget,
    usage: { promptTokens: crew.promptTokens, completionTokens: crew.completionTokens, totalTokens: crew.promptTokens + crew.completionTokens, costUsd: crew.costUsd },
    error: crew.error,
    forkOf: (crew.forkOf as CrewView['forkOf']) ?? null,
    nodes: spec.nodes.map((n) => {
      const r = rows.get(n.id);
      const body = r?.resultPageId ? (bodies.get(r.resultPageId) ?? null) : null;
      return {
        id: n.id,
        kind: n.kind,
        dependsOn: n.dependsOn,
        status: (r?.status ?? 'pending') as CrewView['nodes'][number]['status'],
        attempt: r?.attempt ?? 0,
        agentId: r?.agentId ?? null,
        via: r?.via ?? null,
        startedAt: r?.startedAt?.toISOString() ?? null,
        finishedAt: r?.finishedAt?.toISOString() ?? null,
        durationMs: r?.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
        usage: { promptTokens: r?.promptTokens ?? 0, completionTokens: r?.completionTokens ?? 0, costUsd: r?.costUsd ?? 0 },
        resultPageId: r?.resultPageId ?? null,
        result: body === null ? null : body.length > EXCERPT_CHARS ? `${body.slice(0, EXCERPT_CHARS)}…` : body,
        error: r?.error ?? null,
        items: r?.items === null || r?.items === undefined ? null : { total: r.items, completed: r.itemsCompleted ?? 0, failed: r.itemsFailed ?? 0 },
      };
    }),
    workflow: { workflowId: crew.id, url: workflowUrl },
    createdAt: crew.createdAt.toISOString(),
    finishedAt: crew.finishedAt?.toISOString() ?? null,
  };
}

/** Opens or closes a gate node waiting in the crew's current run (a validated update: a gate of another run or node is refused). */
export async function decideGate(deps: ControlDeps, id: string, decision: GateDecision, approverAgentId: string | null = null): Promise<{ node: string; approved: boolean }> {
  const crew = await crewRow(deps, id);
  // A sub-crew's gates are not opened by the key of the agent that started it, nor of its ancestors.
  if (approverAgentId && crew.parentAgentId && (await descendsFrom(deps.db, crew.parentAgentId, approverAgentId))) throw new KernelError('forbidden', `the credentials of the agent that started crew ${id} (or of its ancestors) cannot decide its gates`);
  if (crew.status !== 'running') throw new KernelError('conflict', `crew ${id} is ${crew.status}; no gate waits`);
  let result: { node: string; approved: boolean };
  try {
    result = await withTemporal(deps, 'decide the gate', () => deps.client.workflow.getHandle(id).executeUpdate(decideGateUpdate, { args: [decision] }));
  } catch (err) {
    if (err instanceof KernelError) throw err;
    if (err instanceof WorkflowUpdateFailedError || err instanceof QueryRejectedError || /not found|completed/i.test(rootMessage(err))) throw new KernelError('conflict', `gate refused: ${rootMessage(err)}`, { cause: err });
    throw err;
  }
  await appendAudit(deps.db, { actor: decision.approver, action: decision.approved ? 'gate.approved' : 'gate.rejected', subject: `${id}:${decision.node}`, data: { run: crew.run, reason: decision.reason ?? null }, idempotencyKey: `gate:${id}:${crew.run}:${decision.node}` });
  return result;
}

/**
 * Approves or rejects a tool call of the agent that runs `node` in the crew's current run. The call id
 * must be that agent's pending call: an approval meant for one branch can never resume another.
 */
export async function approveInCrew(deps: ControlDeps, id: string, node: string, decision: ApprovalDecision, approverAgentId: string | null = null): Promise<{ callId: string; approved: boolean; agentId: string }> {
  const crew = await crewRow(deps, id);
  const row = (await crewRunNodes(deps.db, id, crew.run)).find((r) => r.nodeId === node);
  if (!row) throw new KernelError('not_found', `crew ${id} has no node "${node}"`);
  if (!row.agentId || (row.status !== 'running' && row.status !== 'waiting')) throw new KernelError('conflict', `node ${node} of crew ${id} has no running agent (it is ${row.status})`);
  return { ...(await decideToolCall(deps, row.agentId, decision, approverAgentId)), agentId: row.agentId };
}
