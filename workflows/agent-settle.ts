import { getExternalWorkflowHandle, log, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { hasChange } from './run-version';
import type { KernelActivities } from '../activities';
import { rootMessage } from '../kernel/errors';
import type { AgentResult, AgentRunInput, AgentSnapshot } from '../kernel/agent/state';
import { childFinishedSignal } from './agent-api';

const FINISH_OPTIONS = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } } as const;
const { finishAgent } = proxyActivities<KernelActivities>(FINISH_OPTIONS);
const { finishAgent: finishAgentLocally } = proxyLocalActivities<KernelActivities>(FINISH_OPTIONS);
/**
 * Patch id: the outcome is stored by a local activity, run by this worker inside the workflow task
 * that ends the run (no activity task to dispatch: one workflow task and four history events fewer
 * per agent). Runs recorded before it replay their activity.
 */
const LOCAL_FINISH = 'local-finish';

/** Stores the outcome, tells the parent what was spent, and returns the result. */
export async function settle(s: AgentSnapshot, input: AgentRunInput): Promise<AgentResult> {
  const result: AgentResult = {
    agentId: s.agentId,
    status: s.status === 'completed' ? 'completed' : s.status === 'terminated' ? 'terminated' : 'failed',
    exitReason: s.exitReason ?? 'error',
    steps: s.step,
    resultPageId: s.resultPageId,
    usage: s.usage,
  };
  // Histories from before the preview existed recorded no answer: their result is as it was.
  const finish = hasChange(input, LOCAL_FINISH, 1) ? finishAgentLocally : finishAgent;
  const finished = await finish({ ...result, runId: workflowInfo().runId, error: s.error, boundary: boundaryOf(s) });
  if (input.parentId) {
    try {
      await getExternalWorkflowHandle(input.parentId).signal(childFinishedSignal, { childId: s.agentId, spent: s.usage });
    } catch (err) {
      log.warn('could not report spend to the parent', { parentId: input.parentId, error: rootMessage(err) });
    }
  }
  return finished?.answer ? { ...result, answer: finished.answer } : result;
}

/** The state at this step boundary, for the checkpoint the next activity records. */
export function boundaryOf(s: AgentSnapshot) {
  return { historyEventId: workflowInfo().historyLength, state: { status: s.status, priority: s.priority, usage: s.usage, budget: s.budget } };
}

