import { ParentClosePolicy, type ChildWorkflowOptions } from '@temporalio/workflow';
import type { PreparedChild } from '../activities/crew/nodes';
import { AGENT_PRIORITY, AGENT_STATE, AGENT_STEP, AGENT_TENANT, CREW_ID } from '../kernel/search-attributes';
import { fairnessKey, priorityKey } from '../kernel/scheduling/priority';

/** The start options every agent child shares (everything but its arguments). */
export type ChildAgentOptions = Pick<ChildWorkflowOptions, 'parentClosePolicy' | 'staticSummary' | 'typedSearchAttributes' | 'priority'> & { workflowId: string };

/**
 * How a workflow starts a prepared agent as its child: under the agent's id, cancelled with its
 * parent, named and searchable in the Temporal UI like an agent the API started (and by `CrewId`),
 * its workflow tasks matched by its priority and tenant like its steps.
 */
export function childAgentOptions(child: PreparedChild, crewId?: string): ChildAgentOptions {
  return {
    workflowId: child.agentId,
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: child.summary,
    priority: { priorityKey: priorityKey({ basePriority: child.run.priority, agedIntervals: 0, budgetPressure: 0 }), fairnessKey: fairnessKey(child.run.tenant) },
    typedSearchAttributes: [
      { key: AGENT_STATE, value: 'ready' },
      { key: AGENT_PRIORITY, value: child.run.priority },
      { key: AGENT_TENANT, value: child.run.tenant },
      { key: AGENT_STEP, value: 0 },
      ...(crewId ? [{ key: CREW_ID, value: crewId }] : []),
    ],
  };
}
