import { CancellationScope, condition, continueAsNew, executeChild, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CrewActivities } from '../activities/crew';
import type { PreparedChild } from '../activities/crew/nodes';
import { shouldContinueAsNew } from '../kernel/agent/continue-as-new';
import type { AgentResult } from '../kernel/agent/state';
import { addSpend, ZERO_SPEND } from '../kernel/agent/state';
import type { Spend } from '../kernel/cost/budget';
import { shareOf } from '../kernel/crew/schedule';
import { agentWorkflow } from './agent';
import { childAgentOptions } from './child-agent';
import type { ForeachResult, ForeachRunInput } from './crew-api';

const acts = proxyActivities<CrewActivities>({ startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/** Items prepared (and recorded) in one activity, at most. */
const BATCH = 25;
/** A fan-out continues as new sooner than an agent does: each item adds a few events and its start input. */
const FOREACH_HISTORY_LIMITS = { maxEvents: 1_500, maxBytes: 1_000_000 };

/**
 * A foreach node's fan-out: one child agent per item, never more than `concurrency` at once — a
 * sliding window that starts the next items as soon as any finish, with no barrier between them. A
 * failed item runs again up to `retries` times. Item agents have deterministic ids, so an item is run
 * once however often an activity is retried. Before its history grows large the workflow lets the
 * window drain and continues as new from where it stopped (children must finish under the run that
 * started them).
 */
export async function crewForeachWorkflow(input: ForeachRunInput): Promise<ForeachResult> {
  const { crewId, run, node, count, concurrency } = input;
  let next = input.next;
  let completed = input.completed;
  let failed = input.failed;
  let usage: Spend = input.usage;
  const retryQueue: Array<{ index: number; attempt: number }> = [...(input.retryQueue ?? [])];
  const inflight = new Map<number, Spend>();
  const settledBatch: Array<{ index: number; status: 'completed' | 'failed'; resultPageId: string | null }> = [];
  let ticks = 0;

  const startItem = (child: PreparedChild, attempt: number, lent: Spend) => {
    const index = child.index!;
    inflight.set(index, lent);
    void (async () => {
      let result: AgentResult | null = null;
      try {
        result = await executeChild(agentWorkflow, { ...childAgentOptions(child, crewId), args: [child.run] });
      } catch (err) {
        // Cancelled with the fan-out: the child has closed (cancellation is waited for); nothing to count.
        if (isCancellation(err)) return;
      } finally {
        inflight.delete(index);
        ticks++;
      }
      if (result?.status === 'completed') {
        completed++;
        usage = addSpend(usage, result.usage);
        settledBatch.push({ index, status: 'completed', resultPageId: result.resultPageId });
      } else if (attempt <= input.retries) {
        retryQueue.push({ index, attempt: attempt + 1 });
      } else {
        failed++;
        if (result) usage = addSpend(usage, result.usage);
        settledBatch.push({ index, status: 'failed', resultPageId: null });
      }
    })();
  };

  let draining = false;
  try {
  while (next < count || retryQueue.length > 0 || inflight.size > 0) {
    // Taken before any await of this pass, so an item that finishes meanwhile is never missed.
    const seen = ticks;
    if (settledBatch.length > 0) await acts.settleCrewItems({ crewId, run, node, settled: settledBatch.splice(0) });
    const free = concurrency - inflight.size;
    if (!draining && free > 0 && (retryQueue.length > 0 || next < count)) {
      const items = retryQueue.splice(0, Math.min(free, BATCH));
      while (items.length < Math.min(free, BATCH) && next < count) items.push({ index: next++, attempt: 1 });
      const lentNow = [...inflight.values()].reduce(addSpend, ZERO_SPEND);
      // Each item's share: what is neither spent nor lent, split over the items not started yet.
      const share = shareOf(input.budget, usage, lentNow, count - next + items.length + retryQueue.length);
      const children = await acts.startCrewItems({ crewId, run, node, items, budget: share });
      children.forEach((child, i) => startItem(child, items[i]!.attempt, { promptTokens: share.maxTotalTokens ?? 0, completionTokens: 0, costUsd: share.maxCostUsd ?? 0 }));
      // Items the tenant's cap left unprepared go first next time (an activity that prepared them all returns them all).
      retryQueue.unshift(...items.slice(children.length));
      if (shouldContinueAsNew(workflowInfo(), FOREACH_HISTORY_LIMITS)) draining = true;
      continue;
    }
    if (draining && inflight.size === 0) {
      if (settledBatch.length > 0) await acts.settleCrewItems({ crewId, run, node, settled: settledBatch.splice(0) });
      // Items waiting for a retry go on in the next run, with their attempt numbers.
      return continueAsNew<typeof crewForeachWorkflow>({ ...input, next, completed, failed, usage, retryQueue });
    }
    await condition(() => ticks !== seen);
  }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled (the crew or batch was): every item in flight is cancelled with it; wait until each
    // has closed, so nothing of the fan-out outlives it, and record what did finish.
    await CancellationScope.nonCancellable(async () => {
      await condition(() => inflight.size === 0);
      if (settledBatch.length > 0) await acts.settleCrewItems({ crewId, run, node, settled: settledBatch.splice(0) });
    });
    throw err;
  }
  if (settledBatch.length > 0) await acts.settleCrewItems({ crewId, run, node, settled: settledBatch.splice(0) });
  return { completed, failed, usage };
}
