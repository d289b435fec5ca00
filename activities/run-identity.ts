import { Context } from '@temporalio/activity';

/** The workflow run the current activity attempt belongs to. */
export function currentRun(): { workflowId: string; runId: string } {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) throw new Error('this activity was not scheduled by a workflow');
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

/** What Temporal says of the current attempt's run: whether it is the workflow's latest, and when that run was made by a reset. */
export interface RunStanding {
  latest: boolean;
  /** Set when the workflow's latest run was created by a reset (the time of that reset). */
  resetAt: Date | null;
}

/**
 * Asks Temporal where the current attempt's run stands. Used only when the records and the attempt
 * disagree: a later run means the attempt is a leftover; a reset time is the positive evidence that
 * a run the kernel did not start came from a Temporal reset (and not, say, from a start the kernel
 * gave up on).
 */
export async function runStanding(): Promise<RunStanding> {
  const { workflowId, runId } = currentRun();
  const latest = await Context.current().client.workflow.getHandle(workflowId).describe();
  const reset = latest.raw.workflowExtendedInfo?.lastResetTime;
  const seconds = reset?.seconds === undefined || reset.seconds === null ? null : Number(reset.seconds);
  return { latest: latest.runId === runId, resetAt: seconds === null ? null : new Date(seconds * 1000 + Math.floor((reset?.nanos ?? 0) / 1e6)) };
}

/** Whether the current attempt's run is its workflow's latest run (asks Temporal). */
export async function isLatestRun(): Promise<boolean> {
  return (await runStanding()).latest;
}
