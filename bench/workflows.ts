/** The benchmark's workflow bundle: the real agent workflow beside a bare baseline. */
import { proxyActivities } from '@temporalio/workflow';

export { agentWorkflow } from '../workflows/agent';

const { noop } = proxyActivities<{ noop(step: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

/** The baseline: a bare Temporal workflow doing one no-op activity per step. */
export async function bareWorkflow(steps: number): Promise<number> {
  let done = 0;
  for (let step = 1; step <= steps; step++) done += (await noop(step)) > 0 ? 1 : 0;
  return done;
}
