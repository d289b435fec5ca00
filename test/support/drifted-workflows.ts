/**
 * A deliberately incompatible `agentWorkflow` (it schedules a different activity first), used to
 * prove the replay test catches non-determinism rather than passing vacuously.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { KernelActivities } from '../../activities';
import type { AgentRunInput } from '../../kernel/agent/state';

const { finishAgent } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 seconds' });

/** The drifted workflow: same name, different commands. */
export async function agentWorkflow(input: AgentRunInput): Promise<void> {
  await finishAgent({ agentId: input.agentId, status: 'completed', exitReason: 'final_answer', steps: 0, resultPageId: null, usage: input.usage, runId: 'drift', error: null });
}

/** The drifted crew workflow: it records the crew's end before running any node. */
export async function crewWorkflow(input: { crewId: string; run: number }): Promise<void> {
  const { finishCrew } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 seconds' });
  await finishCrew({ crewId: input.crewId, run: input.run, status: 'completed', failedNode: null, runId: 'drift' });
}

/** The drifted fan-out: it settles nothing and starts no item. */
export async function crewForeachWorkflow(input: { crewId: string; run: number; node: string }): Promise<void> {
  const { settleCrewItems } = proxyActivities<KernelActivities>({ startToCloseTimeout: '30 seconds' });
  await settleCrewItems({ crewId: input.crewId, run: input.run, node: input.node, settled: [] });
}
