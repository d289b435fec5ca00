import { getAgentRecord } from '../../db/agents';
import { appendAudit } from '../../db/audit';
import { getCheckpoint } from '../../db/checkpoints';
import { toPageRef, writePage } from '../../db/pages';
import type { ForkOrigin } from '../../db/scope';
import { agents } from '../../db/schema';
import { newAgentId, type SpawnAgent } from '../../kernel/agent/spawn';
import type { PageRef } from '../../kernel/agent/state';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';
import { describeAgent } from './service';
import { startAgentRun } from './start-run';
import { placementOverrides } from './migrate';
import { agentRunInput } from '../../kernel/agent/run-input';
import type { AgentView } from './view';

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
 * to that step — shared, not copied — and only its own after it, and runs from there.
 */
export async function forkAgent(deps: ApiDeps, parentId: string, req: ForkRequest): Promise<AgentView> {
  const parent = await getAgentRecord(deps.db, parentId);
  if (!parent) throw new KernelError('not_found', `no agent with id "${parentId}"`);
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

  const pages: PageRef[] = [];
  await deps.db.insert(agents).values({
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
  if (req.input) {
    const page = await writePage(deps.db, { agentId: id, step, purpose: 'input', kind: 'message', role: 'user', body: req.input, importance: 1, pinned: true });
    pages.push(toPageRef(page));
  }
  await appendAudit(deps.db, { actor: 'api', action: 'agent.forked', subject: id, data: { from: parent.id, step, checkpointId: req.checkpointId ?? null }, idempotencyKey: `agent.fork:${id}` });
  const constraints = definition.constraints;
  const run = agentRunInput(
    { agentId: id, model: parent.model, taskQueue: deps.taskQueue, pages, maxSteps: parent.maxSteps },
    {
      tenant: parent.tenant,
      priority: parent.priority,
      maxTokensPerStep: constraints.maxTokensPerStep,
      stepTimeoutMs: constraints.stepTimeoutMs,
      budget: { maxTotalTokens: constraints.maxTotalTokens, maxCostUsd: constraints.maxCostUsd },
      tools: deps.tools.policies(definition.tools ?? []),
      agingIntervalMs: deps.agingIntervalMs,
      step,
      // A fork needs what its parent needed (a GPU); it is not pinned to the parent's node.
      ...(await placementOverrides(deps, { gpuMemoryMiB: definition.placement?.gpuMemoryMiB })),
    },
  );
  await startAgentRun(deps, run, { name, summary: `${name}: fork of ${parent.id} at step ${step}`, memo: { name, role: parent.role, forkOf: parent.id, forkStep: step } });
  return describeAgent(deps, id);
}
