import { updateAgentRecord } from '../db/agents';
import type { AgentRunInput } from '../kernel/agent/state';
import { AGENT_PRIORITY, AGENT_STATE, AGENT_STEP, AGENT_TENANT } from '../kernel/search-attributes';
import type { agentWorkflow } from '../workflows/agent';
import type { ControlDeps } from './deps';
import { withTemporal } from './temporal';
import { invokeAgentSpan } from '../infra/telemetry/invoke-agent';
import { fairnessKey, priorityKey } from '../kernel/scheduling/priority';

/** How the run shows in the Temporal UI. */
export interface RunLabel {
  name: string;
  summary: string;
  memo: Record<string, unknown>;
  /** Markdown the Temporal UI shows as the workflow's details (role, goal, tenant, model). */
  details?: string;
}

/**
 * Starts an agent's workflow, named and searchable in the Temporal UI, and records its run id; inside
 * an `invoke_agent <name>` span, so with tracing on the whole run (its steps, model calls, tools)
 * joins the trace of whatever started it.
 */
export function startAgentRun(deps: Pick<ControlDeps, 'client' | 'db' | 'taskQueue'>, run: AgentRunInput, label: RunLabel): Promise<string> {
  return invokeAgentSpan({ agentId: run.agentId, name: label.name, tenant: run.tenant }, () => startRun(deps, run, label));
}

async function startRun(deps: Pick<ControlDeps, 'client' | 'db' | 'taskQueue'>, run: AgentRunInput, label: RunLabel): Promise<string> {
  const handle = await withTemporal(deps, 'start the agent', () => deps.client.workflow.start<typeof agentWorkflow>('agentWorkflow', {
    workflowId: run.agentId,
    taskQueue: deps.taskQueue,
    args: [run],
    // The run's own workflow tasks are matched by its priority too (its steps carry their aged key):
    // under a backlog a high-priority agent's next decision does not queue behind low-priority ones.
    priority: { priorityKey: priorityKey({ basePriority: run.priority, agedIntervals: 0, budgetPressure: 0 }), fairnessKey: fairnessKey(run.tenant) },
    staticSummary: label.summary.slice(0, 200),
    ...(label.details ? { staticDetails: label.details } : {}),
    memo: label.memo,
    typedSearchAttributes: [
      { key: AGENT_STATE, value: 'ready' },
      { key: AGENT_PRIORITY, value: run.priority },
      { key: AGENT_TENANT, value: run.tenant },
      { key: AGENT_STEP, value: run.step },
    ],
  }));
  await updateAgentRecord(deps.db, run.agentId, { runId: handle.firstExecutionRunId });
  return handle.firstExecutionRunId;
}
