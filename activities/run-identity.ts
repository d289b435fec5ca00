import { Context } from '@temporalio/activity';

/** The workflow run the current activity attempt belongs to. */
export function currentRun(): { workflowId: string; runId: string } {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) throw new Error('this activity was not scheduled by a workflow');
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

/**
 * Whether the current attempt's run is its workflow's latest run (asks Temporal). Used only when the
 * records and the attempt disagree about the run: a later run (a reset, a continue-as-new) means the
 * attempt is a leftover of a run that no longer steers the agent.
 */
export async function isLatestRun(): Promise<boolean> {
  const { workflowId, runId } = currentRun();
  const latest = await Context.current().client.workflow.getHandle(workflowId).describe();
  return latest.runId === runId;
}
