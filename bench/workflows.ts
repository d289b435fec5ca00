/** The benchmarks' workflow bundle: the kernel's workflows beside bare baselines. */
import { condition, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

export { agentWorkflow } from '../workflows/agent';
export { crewWorkflow } from '../workflows/crew';
export { crewForeachWorkflow } from '../workflows/crew-foreach';

const { noop } = proxyActivities<{ noop(step: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

/** The baseline: a bare Temporal workflow doing one no-op activity per step. */
export async function bareWorkflow(steps: number): Promise<number> {
  let done = 0;
  for (let step = 1; step <= steps; step++) done += (await noop(step)) > 0 ? 1 : 0;
  return done;
}

/** The fan-out baseline: `count` bare child workflows (one no-op activity each), at most `cap` at once. */
export async function bareFanoutWorkflow(count: number, cap: number): Promise<number> {
  let next = 0;
  let running = 0;
  let done = 0;
  while (done < count) {
    while (running < cap && next < count) {
      const i = next++;
      running++;
      void executeChild(bareWorkflow, { workflowId: `${workflowInfo().workflowId}-${i}`, args: [1] }).then(() => {
        running--;
        done++;
      });
    }
    const seen = done;
    await condition(() => done !== seen);
  }
  return done;
}
