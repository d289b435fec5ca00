import { executeChild, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { KernelActivities } from '../activities';
import { CREW_ID } from '../kernel/search-attributes';
import { agentWorkflow } from './agent';
import { childAgentOptions } from './child-agent';
import { crewWorkflow } from './crew';

const { prepareScheduledRun } = proxyActivities<KernelActivities>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/**
 * One fire of a kernel schedule (a Temporal Schedule starts it): prepares the agent or crew the
 * schedule names and runs it as its child, to the end — so the schedule's overlap policy sees a run
 * for as long as its agent or crew works.
 */
export async function scheduledRunWorkflow(input: { scheduleId: string }): Promise<{ kind: 'agent' | 'crew'; id: string; status: string }> {
  const prepared = await prepareScheduledRun({ scheduleId: input.scheduleId, fire: workflowInfo().workflowId });
  if (prepared.kind === 'agent') {
    const { child } = prepared;
    const result = await executeChild(agentWorkflow, { ...childAgentOptions(child), args: [child.run] });
    return { kind: 'agent', id: child.agentId, status: result.status };
  }
  const result = await executeChild(crewWorkflow, {
    workflowId: prepared.crew.crewId,
    args: [prepared.crew],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: prepared.summary,
    typedSearchAttributes: [{ key: CREW_ID, value: prepared.crew.crewId }],
  });
  return { kind: 'crew', id: prepared.crew.crewId, status: result.status };
}
