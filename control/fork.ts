import { refuseOverLiveCap } from '../db/agents';
import { appendAuditIn } from '../db/audit';
import { getCheckpoint } from '../db/checkpoints';
import { toPageRef, writePage } from '../db/pages';
import type { ForkOrigin } from '../db/scope';
import { agents } from '../db/schema';
import { agentRunInput } from '../kernel/agent/run-input';
import { newAgentId, type SpawnAgent } from '../kernel/agent/spawn';
import type { PageRef } from '../kernel/agent/state';
import type { AgentView } from '../kernel/agent/view';
import { KernelError } from '../kernel/errors';
import type { ControlDeps } from './deps';
import { agentRow } from './views';
import { placementOverrides } from './migrate';
import { failStart, startError } from './spawn';
import { startAgentRun } from './start-run';
import { describeAgent } from './views';

/** What a fork may change: where it branches, its name, and a new message to start from. */
export interface ForkRequest {
  step?: number;
  /** Fork at this checkpoint (its step) instead of a raw step. */
  checkpointId?: string;
  name?: string;
  input?: string;
}

/**
 * Forks an agent at a step: a new agent (new id, lineage recorded) that sees the parent's pages up
 * to that step — shared, not copied — and only its own after it, and runs from there. The fork's
 * row, its input page and the audit entry commit together; a start that fails marks it failed.
 */
export async function forkAgent(deps: ControlDeps, parentId: string, req: ForkRequest, actor = 'api'): Promise<AgentView> {
  const parent = await agentRow(deps, parentId);
  let step = req.step ?? parent.step;
  if (req.checkpointId) {
    const checkpoint = await getCheckpoint(deps.db, parent.id, req.checkpointId);
    if (!checkpoint) throw new KernelError('not_found', `agent "${parent.id}" has no checkpoint "${req.checkpointId}"`);
    step = checkpoint.step;
  }
  if (step < 0 || step > parent.step) throw new KernelError('invalid_input', `step must be between 0 and ${parent.step} (the parent's last step), got ${step}`);
  const definition = parent.definition as Omit<SpawnAgent, 'input'> & { lineage?: ForkOrigin[] };
  const lineage: ForkOrigin[] = [{ agentId: parent.id, step }, ...(definition.lineage ?? [])];
  const name = req.name ?? `${parent.name} fork`;
  const id = newAgentId(name);

  // Placement is checked before anything is stored.
  const placement = await placementOverrides(deps, { gpuMemoryMiB: definition.placement?.gpuMemoryMiB, gpus: definition.placement?.gpus, migProfile: definition.placement?.migProfile });
  const pages: PageRef[] = await deps.db.transaction(async (tx) => {
    await refuseOverLiveCap(tx, parent.tenant, deps.limits?.tenantLiveAgentCap);
    await tx.insert(agents).values({
      id,
      name,
      role: parent.role,
      goal: parent.goal,
      backstory: parent.backstory,
      model: parent.model,
      tenant: parent.tenant,
      priority: parent.priority,
      maxSteps: parent.maxSteps,
      parentId: parent.id,
      step,
      workflowId: id,
      definition: { ...definition, name, lineage, forkOf: { agentId: parent.id, step } },
    });
    const own: PageRef[] = [];
    if (req.input) own.push(toPageRef(await writePage(tx, { agentId: id, step, purpose: 'input', kind: 'message', role: 'user', body: req.input, importance: 1, pinned: true })));
    await appendAuditIn(tx, { actor, action: 'agent.forked', subject: id, data: { from: parent.id, step, checkpointId: req.checkpointId ?? null }, idempotencyKey: `agent.fork:${id}` });
    return own;
  });
  const constraints = definition.constraints;
  const run = agentRunInput(
    { agentId: id, model: parent.model, taskQueue: deps.taskQueue, pages, maxSteps: parent.maxSteps },
    {
      tenant: parent.tenant,
      priority: parent.priority,
      maxTokensPerStep: constraints.maxTokensPerStep,
      stepTimeoutMs: constraints.stepTimeoutMs,
      entityMemory: constraints.entityMemory ?? 'rules',
      budget: { maxTotalTokens: constraints.maxTotalTokens, maxCostUsd: constraints.maxCostUsd },
      tools: deps.tools.policies(definition.tools ?? []),
      agingIntervalMs: deps.agingIntervalMs,
      step,
      // A fork needs what its parent needed (a GPU); it is not pinned to the parent's node.
      ...placement,
    },
  );
  try {
    await startAgentRun(deps, run, { name, summary: `${name}: fork of ${parent.id} at step ${step}`, memo: { name, role: parent.role, forkOf: parent.id, forkStep: step } });
  } catch (err) {
    await failStart(deps, id, err);
    throw startError(err);
  }
  return describeAgent(deps, id);
}
