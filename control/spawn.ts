import { createAgentRecord, getAgentRecord, isCrewOwner, refuseOverLiveCap, updateAgentRecord } from '../db/agents';
import { appendAuditIn } from '../db/audit';
import { findPage, toPageRef } from '../db/pages';
import { agentRunInput } from '../kernel/agent/run-input';
import type { AgentRunInput } from '../kernel/agent/state';
import { keyedAgentId, newAgentId, type SpawnAgent } from '../kernel/agent/spawn';
import type { AgentView } from '../kernel/agent/view';
import type { Budget } from '../kernel/cost/budget';
import { unknownKernelTools, unknownMcpTools } from './tool-names';
import { KernelError, rootMessage } from '../kernel/errors';
import { childFinishedSignal, reserveBudgetUpdate } from '../workflows/agent-api';
import type { ControlDeps } from './deps';
import { placementOverrides } from './migrate';
import { agentDetails } from '../kernel/agent/details';
import { startAgentRun, type RunLabel } from './start-run';
import { alreadyStarted, isTemporalUnreachable, withTemporal } from './temporal';
import { describeAgent, startedAgentView } from './views';

/** What preparing an agent needs: the database, the tool registry and the kernel's defaults (no Temporal). */
export type PrepareDeps = Pick<ControlDeps, 'db' | 'tools' | 'taskQueue' | 'defaultModel' | 'agingIntervalMs' | 'limits'>;

/** How a prepared agent is to be started. */
export interface PreparedAgent {
  agentId: string;
  run: AgentRunInput;
  label: RunLabel;
}

/** Options of {@link prepareAgent}. */
export interface PrepareOptions {
  actor?: string;
  /** A deterministic id (crews): a second prepare with the same id returns the first one's run. */
  agentId?: string;
  /** The budget the agent gets, decided by its spawner (a crew's share); default: its constraints. */
  budget?: Budget;
  /** The crew the agent runs for. */
  crewId?: string;
}

/**
 * Prepares an agent — the one place every door spawns through (the API, crews, schedules, the
 * spawn_agent tool): checks its tools and placement, stores the agent, its input page and the audit
 * entry in one transaction, and returns the workflow input to start it with (by the client, or as a
 * child workflow). Idempotent for a given `agentId`, so an activity that prepares can be retried.
 */
export async function prepareAgent(deps: PrepareDeps, spec: SpawnAgent, options: PrepareOptions = {}): Promise<PreparedAgent> {
  const model = spec.model ?? deps.defaultModel;
  const registry = deps.tools;
  const unknown = unknownKernelTools(registry, spec.tools);
  if (unknown.length > 0) throw new KernelError('invalid_input', `unknown tools: ${unknown.join(', ')} (available: ${registry.names().join(', ')}, or an MCP server's as server.tool)`);
  const unknownMcp = await unknownMcpTools(deps.db, spec.tenant, spec.tools);
  if (unknownMcp.length > 0) throw new KernelError('invalid_input', `unknown MCP tools for tenant "${spec.tenant}": ${unknownMcp.join(', ')} (GET /mcp/servers lists the registered servers and their tools)`);
  const placement = await placementOverrides(deps, spec.placement);
  const id = options.agentId ?? newAgentId(spec.name);
  const named: Budget = options.budget ?? { maxTotalTokens: spec.constraints.maxTotalTokens, maxCostUsd: spec.constraints.maxCostUsd };
  // No agent runs unbounded by accident: one that names no budget gets the kernel's default.
  const budget: Budget = named.maxTotalTokens === null && named.maxCostUsd === null && deps.limits?.defaultMaxTotalTokens ? { ...named, maxTotalTokens: deps.limits.defaultMaxTotalTokens } : named;
  const existing = options.agentId ? await getAgentRecord(deps.db, id) : undefined;
  const input = existing
    ? await findPage(deps.db, id, 0, 'input')
    : await deps.db.transaction(async (tx) => {
        await refuseOverLiveCap(tx, spec.tenant, deps.limits?.tenantLiveAgentCap);
        const created = await createAgentRecord(tx, id, { ...spec, model }, options.crewId);
        await appendAuditIn(tx, { actor: options.actor ?? 'api', action: 'agent.spawned', subject: id, data: { name: spec.name, model, tenant: spec.tenant, parentId: spec.parentId ?? null, crewId: options.crewId ?? null }, idempotencyKey: `agent.spawn:${id}` });
        return created.input;
      });
  if (!input) throw new KernelError('internal', `agent ${id} exists without its input page`);
  const run = agentRunInput(
    { agentId: id, model, taskQueue: deps.taskQueue, pages: [toPageRef(input)], maxSteps: spec.constraints.maxSteps },
    {
      tenant: spec.tenant,
      priority: spec.priority,
      maxTokensPerStep: spec.constraints.maxTokensPerStep,
      stepTimeoutMs: spec.constraints.stepTimeoutMs,
      entityMemory: spec.constraints.entityMemory ?? 'rules',
      budget,
      tools: registry.policies(spec.tools),
      agingIntervalMs: deps.agingIntervalMs,
      parentId: spec.parentId ?? null,
      ...placement,
    },
  );
  const details = agentDetails({ role: spec.role, goal: spec.goal, tenant: run.tenant, model: run.model, priority: run.priority, crewId: options.crewId });
  return { agentId: id, run, label: { name: spec.name, summary: `${spec.name}: ${spec.goal}`, details, memo: { name: spec.name, role: spec.role, ...(options.crewId ? { crewId: options.crewId } : {}) } } };
}

/**
 * Spawns an agent through the client: borrows its budget from a parent of the same tenant, prepares
 * it ({@link prepareAgent}) and starts its workflow. A start that fails marks the row failed (never
 * left `ready`) and returns what it borrowed; Temporal unreachable is a 503.
 */
export async function spawnAgent(deps: ControlDeps, spec: SpawnAgent, actor = 'api', idempotencyKey?: string): Promise<AgentView> {
  // With an Idempotency-Key the id is derived from it: a spawn retried after any failure (even one
  // answered after its work went on) finds the agent the first made, and never makes a second.
  const id = idempotencyKey ? keyedAgentId(spec.name, spec.tenant, idempotencyKey) : newAgentId(spec.name);
  if (idempotencyKey) {
    const existing = await getAgentRecord(deps.db, id);
    if (existing && existing.tenant === spec.tenant && existing.runId) return describeAgent(deps, id);
  }
  let budget: Budget | undefined;
  if (spec.parentId) budget = await reserveFromParent(deps, spec.parentId, spec.tenant, id, { maxTotalTokens: spec.constraints.maxTotalTokens, maxCostUsd: spec.constraints.maxCostUsd });
  let prepared: PreparedAgent;
  try {
    prepared = await prepareAgent(deps, spec, { actor, agentId: id, budget });
  } catch (err) {
    if (spec.parentId) await returnBorrowed(deps, spec.parentId, id);
    throw err;
  }
  try {
    await startAgentRun(deps, prepared.run, prepared.label);
  } catch (err) {
    // The same keyed spawn started it meanwhile: that run is this agent's.
    if (idempotencyKey && alreadyStarted(err)) return describeAgent(deps, id);
    await failStart(deps, id, err);
    if (spec.parentId) await returnBorrowed(deps, spec.parentId, id);
    throw startError(err);
  }
  return startedAgentView(deps, id, prepared.run);
}

/**
 * Marks an agent whose workflow could not be started as failed, with the reason. A start whose answer
 * was lost (a deadline) may have happened anyway: that workflow is terminated, best effort — and if it
 * cannot be, its first step finds the agent ended and stops (an ended agent comes back only after a
 * Temporal reset).
 */
export async function failStart(deps: ControlDeps, id: string, err: unknown): Promise<void> {
  if (isTemporalUnreachable(err)) {
    await withTemporal(deps, 'stop an agent whose start was not confirmed', () => deps.client.workflow.getHandle(id).terminate('the kernel could not confirm the start and marked the agent failed'), 2_000).catch(() => undefined);
  }
  await updateAgentRecord(deps.db, id, { status: 'failed', error: `its workflow could not be started: ${rootMessage(err)}`, exitReason: 'error', finishedAt: new Date() });
}

/** The error a failed start answers with: 503 (with Retry-After) when Temporal is unreachable. */
export function startError(err: unknown): KernelError {
  if (err instanceof KernelError) return err;
  return new KernelError('unavailable', `could not start the agent's workflow${isTemporalUnreachable(err) ? ': Temporal is unreachable' : ''}; retry shortly`, { cause: err, retryAfterS: 5 });
}

/** Asks the parent's workflow to lend part of its remaining budget; a parent that is gone or of another tenant is a 404. */
async function reserveFromParent(deps: ControlDeps, parentId: string, tenant: string, childId: string, request: Budget): Promise<Budget> {
  const parent = await getAgentRecord(deps.db, parentId);
  // Another tenant's agent answers exactly like one that does not exist: a child cannot even learn it is there.
  if (!parent || isCrewOwner(parent) || parent.tenant !== tenant) throw new KernelError('not_found', `no parent agent with id "${parentId}"`);
  try {
    return await withTemporal(deps, 'reserve budget from the parent', () => deps.client.workflow.getHandle(parent.workflowId).executeUpdate(reserveBudgetUpdate, { args: [{ childId, request }] }));
  } catch (err) {
    if (err instanceof KernelError) throw err;
    throw new KernelError('conflict', `parent ${parentId} cannot lend budget: ${rootMessage(err)}`, { cause: err });
  }
}

/** Gives back what a child that never started borrowed (best effort: the parent settles it as spent nothing). */
async function returnBorrowed(deps: ControlDeps, parentId: string, childId: string): Promise<void> {
  try {
    await withTemporal(deps, 'return the borrowed budget', () => deps.client.workflow.getHandle(parentId).signal(childFinishedSignal, { childId, spent: { promptTokens: 0, completionTokens: 0, costUsd: 0 } }));
  } catch (err) {
    deps.logger.warn({ parentId, childId, reason: rootMessage(err) }, 'could not return a failed child’s reservation to its parent');
  }
}
