import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { KernelActivities } from '../activities';
import { addUsage, type AgentResult, type AgentRunInput, type AgentSnapshot, type AgentStatus } from '../kernel/agent/state';
import { AGENT_STATE, AGENT_STEP } from '../kernel/search-attributes';

/** The live state of an agent: status, step, page table and usage. */
export const stateQuery = defineQuery<AgentSnapshot>('state');

const { llmStep } = proxyActivities<KernelActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

const { finishAgent } = proxyActivities<KernelActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * One agent process: each step asks the model (an activity) and appends the reply page to the
 * page table, until a final answer or the step limit. History carries page ids, never bodies.
 */
export async function agentWorkflow(input: AgentRunInput): Promise<AgentResult> {
  const snapshot: AgentSnapshot = {
    agentId: input.agentId,
    status: 'ready',
    step: input.step,
    maxSteps: input.maxSteps,
    model: input.model,
    pages: [...input.pages],
    usage: { ...input.usage },
    resultPageId: null,
    exitReason: null,
    error: null,
  };
  setHandler(stateQuery, () => snapshot);

  const setStatus = (status: AgentStatus) => {
    snapshot.status = status;
    upsertSearchAttributes([{ key: AGENT_STATE, value: status }]);
  };
  setStatus('running');

  try {
    while (snapshot.step < input.maxSteps) {
      const step = snapshot.step + 1;
      const reply = await llmStep({
        agentId: input.agentId,
        step,
        model: input.model,
        maxTokens: input.maxTokensPerStep,
        pageIds: snapshot.pages.map((p) => p.id),
      });
      snapshot.pages.push(reply.page);
      snapshot.step = step;
      snapshot.usage = addUsage(snapshot.usage, reply.usage);
      upsertSearchAttributes([{ key: AGENT_STEP, value: step }]);
      if (reply.stopReason !== 'continue') {
        snapshot.exitReason = 'final_answer';
        snapshot.resultPageId = reply.page.id;
        break;
      }
      if (workflowInfo().continueAsNewSuggested) {
        log.info('continuing as new', { agentId: input.agentId, step });
        await continueAsNew<typeof agentWorkflow>({ ...input, pages: snapshot.pages, step, usage: snapshot.usage });
      }
    }
    if (!snapshot.exitReason) {
      snapshot.exitReason = 'max_steps';
      snapshot.resultPageId = snapshot.pages.findLast((p) => p.role === 'assistant')?.id ?? null;
    }
    setStatus('completed');
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    snapshot.exitReason = isCancellation(err) ? 'killed' : 'error';
    snapshot.error = rootMessage(err);
    setStatus(isCancellation(err) ? 'terminated' : 'failed');
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finishAgent({ ...resultOf(snapshot), runId: workflowInfo().runId, error: snapshot.error }));
      throw err;
    }
  }

  const result = resultOf(snapshot);
  await finishAgent({ ...result, runId: workflowInfo().runId, error: snapshot.error });
  if (result.status === 'failed') {
    throw ApplicationFailure.nonRetryable(`agent ${input.agentId} failed: ${snapshot.error}`, 'AgentFailed');
  }
  return result;
}

function resultOf(snapshot: AgentSnapshot): AgentResult {
  return {
    agentId: snapshot.agentId,
    status: snapshot.status === 'completed' ? 'completed' : snapshot.status === 'terminated' ? 'terminated' : 'failed',
    exitReason: snapshot.exitReason ?? 'error',
    steps: snapshot.step,
    resultPageId: snapshot.resultPageId,
    usage: snapshot.usage,
  };
}

/** The innermost failure's message: an ActivityFailure says only "Activity task failed". */
function rootMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
