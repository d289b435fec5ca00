import { patched, workflowInfo } from '@temporalio/workflow';
import type { AgentRunInput } from '../kernel/agent/state';

/**
 * Whether a workflow change is on for this run. A run started at `since` or a later run version has
 * it from its first task, and nothing is recorded; replaying, it still asks `patched()`, which
 * matches a marker a worker of the previous release recorded while it ran the task (a rolling
 * deploy) and records nothing otherwise. A run started before run versions asks `patched()`.
 */
export function hasChange(input: Pick<AgentRunInput, 'runVersion'>, patchId: string, since: number): boolean {
  if ((input.runVersion ?? 0) < since) return patched(patchId);
  if (workflowInfo().unsafe.isReplaying) patched(patchId);
  return true;
}
