import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { updateAgentRecord, refuseOverLiveCap } from '../db/agents';
import { getCheckpoint, type BoundaryState } from '../db/checkpoints';
import { recordRewind } from '../db/rewind';
import { isTerminal } from '../kernel/agent/lifecycle';
import type { AgentSnapshot } from '../kernel/agent/state';
import { KernelError, rootMessage } from '../kernel/errors';
import { pauseSignal, rewoundSignal } from '../workflows/agent-api';
import type { ControlDeps } from './deps';
import { agentRow } from './views';
import { withTemporal } from './temporal';

const { EventType } = temporal.api.enums.v1;
const PARK_TIMEOUT_MS = 30_000;

/** What a rewind did. */
export interface RewindResult {
  agentId: string;
  checkpointId: string;
  toStep: number;
  branch: number;
  runId: string;
  archivedPages: number;
  restoredPages: number;
  copiedToForks: Record<string, number>;
}

/**
 * Rewinds an agent to one of its checkpoints with Temporal's workflow reset: a running agent is
 * first paused and waited for at its next step boundary (nothing in flight, so no step of the old
 * timeline can write after the rewind); then its records are rewound (pages, memories, tool calls,
 * checkpoints; forks keep their view) and its workflow is reset to the workflow task that ended at
 * that boundary. The new run replays up to the checkpoint and carries on from there; signals sent
 * after the checkpoint are not re-applied. What the abandoned steps cost still counts.
 */
export async function rewindAgent(deps: ControlDeps, agentId: string, checkpointId: string, actor: string): Promise<RewindResult> {
  const row = await agentRow(deps, agentId);
  const checkpoint = await getCheckpoint(deps.db, agentId, checkpointId);
  if (!checkpoint) throw new KernelError('not_found', `agent "${agentId}" has no checkpoint "${checkpointId}"`);
  if (checkpoint.abandonedBy !== null) throw new KernelError('conflict', `checkpoint ${checkpointId} is on a timeline that rewind #${checkpoint.abandonedBy} abandoned; fork from it instead`);
  if (checkpoint.historyEventId === null) throw new KernelError('conflict', `checkpoint ${checkpointId} has no history position to reset to`);

  const resetTo = await resetPoint(deps, row.workflowId, checkpoint.runId, checkpoint.historyEventId);
  // A finished agent comes back to life: it needs room under its tenant's cap of live agents.
  if (isTerminal(row.status)) await deps.db.transaction((tx) => refuseOverLiveCap(tx, row.tenant, deps.limits?.tenantLiveAgentCap));
  else await park(deps, row.workflowId, agentId);

  const at = (checkpoint.state as { usage: BoundaryState['usage'] }).usage;
  const outcome = await recordRewind(deps.db, deps.pubsub, { agentId, toStep: checkpoint.step, usageAtBoundary: at, actor, via: 'api', checkpointId });
  let runId: string;
  try {
    const reset: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await withTemporal(deps, 'reset the workflow', () => deps.client.workflowService.resetWorkflowExecution({
      namespace: deps.client.options.namespace,
      workflowExecution: { workflowId: row.workflowId, runId: checkpoint.runId },
      reason: `rewind to ${checkpointId} by ${actor}`,
      workflowTaskFinishEventId: Long.fromNumber(resetTo),
      requestId: randomUUID(),
      resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
    }));
    runId = reset.runId ?? '';
  } catch (err) {
    throw new KernelError('unavailable', `the agent's records were rewound to step ${checkpoint.step} but the workflow reset failed (${rootMessage(err)}); retry the rewind`, { cause: err });
  }
  const { sunk } = outcome;
  await updateAgentRecord(deps.db, agentId, { runId });
  await withTemporal(deps, 'tell the agent what the rewind cost', () => deps.client.workflow.getHandle(row.workflowId, runId).signal(rewoundSignal, { branch: outcome.branch, toStep: checkpoint.step, sunk }));
  return { agentId, checkpointId, toStep: checkpoint.step, branch: outcome.branch, runId, archivedPages: outcome.archivedPages, restoredPages: outcome.restoredPages, copiedToForks: outcome.copiedToForks };
}

/** The workflow task that ended at the checkpoint's boundary: the first one completed after the recorded history position. */
async function resetPoint(deps: ControlDeps, workflowId: string, runId: string, historyEventId: number): Promise<number> {
  let history;
  try {
    history = await withTemporal(deps, 'read the agent’s history', () => deps.client.workflow.getHandle(workflowId, runId).fetchHistory(), 30_000);
  } catch (err) {
    throw new KernelError('conflict', `the run ${runId} of the checkpoint is no longer in Temporal (${rootMessage(err)}); fork from the checkpoint instead`, { cause: err });
  }
  const event = (history.events ?? []).find((e) => Number(e.eventId) > historyEventId && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (!event) throw new KernelError('conflict', `no workflow task completed after event ${historyEventId} of run ${runId}`);
  return Number(event.eventId);
}

/** Pauses a running agent and waits until it is parked at a step boundary with nothing in flight. */
async function park(deps: ControlDeps, workflowId: string, agentId: string): Promise<void> {
  const handle = deps.client.workflow.getHandle(workflowId);
  try {
    await withTemporal(deps, 'pause the agent for the rewind', () => handle.signal(pauseSignal, { reason: 'rewind' }));
  } catch (err) {
    if (err instanceof KernelError) throw err;
    throw new KernelError('conflict', `agent ${agentId} cannot be paused for the rewind: ${rootMessage(err)}`, { cause: err });
  }
  const deadline = Date.now() + PARK_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const description = await withTemporal(deps, 'watch the agent park', () => handle.describe());
    if (description.status.name !== 'RUNNING') return;
    const pending = description.raw.pendingActivities?.length ?? 0;
    const state = await handle.query<AgentSnapshot>('state').catch(() => null);
    if (pending === 0 && state && (state.status === 'suspended' || state.status === 'waiting')) return;
    await Bun.sleep(100);
  }
  throw new KernelError('conflict', `agent ${agentId} did not reach a step boundary within ${PARK_TIMEOUT_MS / 1000} s; try the rewind again`);
}
