import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { closeAgentRecord, type Closing } from '../db/agent-close';
import { getAgentRecord, type AgentRow } from '../db/agents';
import { isTerminal } from '../kernel/agent/lifecycle';
import type { AgentResult } from '../kernel/agent/state';
import { rootMessage } from '../kernel/errors';
import type { ControlDeps } from './deps';
import { withTemporal } from './temporal';

const { EventType, HistoryEventFilterType } = temporal.api.enums.v1;
/** A live row with no workflow in Temporal after this long is a ghost, and is closed as failed. */
const GHOST_AFTER_MS = 60_000;

/** How the latest run of an agent's workflow closed, in the kernel's terms, or null while it is open. */
export type RunClosure = Omit<Closing, 'agentId' | 'closedBy'>;

/**
 * Reads how the workflow's latest run closed from its close event: terminated (with the reason and
 * who did it), cancelled, timed out, failed, or completed (with the agent's result). Null while the
 * latest run is still open.
 */
export async function latestRunClosure(deps: Pick<ControlDeps, 'client'>, workflowId: string): Promise<RunClosure | null> {
  const handle = deps.client.workflow.getHandle(workflowId);
  const description = await withTemporal(deps, 'read the agent’s workflow', () => handle.describe());
  const { runId } = description;
  if (description.status.name === 'RUNNING' || description.status.name === 'CONTINUED_AS_NEW') return null;
  const history = await withTemporal(deps, 'read the agent’s workflow', () =>
    deps.client.workflowService.getWorkflowExecutionHistory({
      namespace: deps.client.options.namespace,
      execution: { workflowId, runId },
      historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    }),
  );
  const event = history.history?.events?.[0];
  switch (event?.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
      const a = event.workflowExecutionTerminatedEventAttributes;
      const by = a?.identity ? ` by ${a.identity}` : '';
      return { runId, status: 'terminated', exitReason: 'terminated', error: `terminated in Temporal${by}: ${a?.reason || 'no reason given'}` };
    }
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return { runId, status: 'terminated', exitReason: 'killed', error: 'cancelled in Temporal' };
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return { runId, status: 'failed', exitReason: 'timed_out', error: 'the workflow run timed out in Temporal' };
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return { runId, status: 'failed', exitReason: 'error', error: event.workflowExecutionFailedEventAttributes?.failure?.message || 'the workflow failed' };
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
      const result = await withTemporal(deps, 'read the agent’s result', () => deps.client.workflow.getHandle(workflowId, runId).result() as Promise<AgentResult>);
      return { runId, status: result.status, exitReason: result.exitReason, error: null, step: result.steps, usage: result.usage, resultPageId: result.resultPageId };
    }
    default:
      return null;
  }
}

/**
 * Temporal's word wins about closure: when the agent's row says live but its workflow's latest run
 * has closed — terminated, cancelled or timed out from the UI or CLI, or ended without reporting —
 * the row is closed to match (GPU lease released, `agent.finished` sent so SSE streams end,
 * audited as closed by Temporal). Returns the row as it now stands.
 */
export async function reconcileAgent(deps: ControlDeps, row: AgentRow): Promise<AgentRow> {
  if (isTerminal(row.status)) return row;
  let closure: RunClosure | null;
  try {
    closure = await latestRunClosure(deps, row.workflowId);
  } catch (err) {
    // A row whose workflow Temporal does not know (a start that never happened, a crash between the
    // insert and the start) is a ghost once it is older than any start could take.
    if (!(err instanceof WorkflowNotFoundError) || Date.now() - row.createdAt.getTime() < GHOST_AFTER_MS) throw err;
    closure = { runId: row.runId ?? 'none', status: 'failed', exitReason: 'error', error: 'its workflow was never started, or no longer exists in Temporal' };
  }
  if (!closure) return row;
  const closed = await closeAgentRecord(deps.db, { ...closure, agentId: row.id, closedBy: 'temporal' });
  if (closed) deps.logger.info({ agentId: row.id, status: closure.status, exitReason: closure.exitReason }, 'agent closed outside the kernel; its record now says so');
  return (await getAgentRecord(deps.db, row.id)) ?? row;
}

/** {@link reconcileAgent} that never throws: with Temporal unreachable the row stands as stored. */
export async function reconcileQuietly(deps: ControlDeps, row: AgentRow): Promise<AgentRow> {
  try {
    return await reconcileAgent(deps, row);
  } catch (err) {
    deps.logger.warn({ agentId: row.id, reason: rootMessage(err) }, 'could not check the agent’s workflow; showing the stored row');
    return row;
  }
}
