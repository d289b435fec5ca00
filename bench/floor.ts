/**
 * The dispatch floor, before and after the fix: a bare Temporal workflow doing 20 no-op activities one
 * after the other, back to back, on the dev server as it comes (`stock`: the history service's queue
 * processors poll 20 times a second, SQLite in its default journal) and as the kernel starts it
 * (`kernel`: those processors at 10,000/s, WAL with synchronous=normal), and the light agent of
 * `step-overhead.ts` on each. Sustained, back-to-back work is what shows the ~50 ms poll wait, so
 * nothing idles between runs.
 *
 *   bun bench/floor.ts [--runs 10] [--steps 20]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_AUTH_ENV } from '../test/support/keys';
import { scriptedAgent, startBenchNode } from './bench-node';
import { writeResult } from './results-file';
import { summarise } from './stats';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, steps: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const steps = Number(values.steps);
const out: Record<string, unknown> = {};

for (const tuning of ['stock', 'kernel'] as const) {
  const fresh = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: `bench-floor-${tuning}` });
  const stack = await startStack({ config, logger: createLogger('warn'), database: { url: fresh.url, poolSize: 20 }, devServer: { ui: false, tuning }, worker: false, api: false });
  try {
    const { node, connection } = await startBenchNode(stack, config);
    const running = node.run();
    const bare: number[] = [];
    const agent: number[] = [];
    try {
      for (let i = 0; i < runs + 1; i++) {
        let t = performance.now();
        await stack.client.workflow.execute('bareWorkflow', { workflowId: `floor-bare-${tuning}-${i}`, taskQueue: config.TASK_QUEUE, args: [steps] });
        const b = (performance.now() - t) / steps;
        const scripted = await scriptedAgent(stack, config.TASK_QUEUE, `floor-agent-${tuning}-${i}`, steps);
        t = performance.now();
        await (await scripted.start()).result();
        const a = (performance.now() - t) / steps;
        if (i === 0) continue;
        bare.push(b);
        agent.push(a);
        process.stderr.write(`${tuning} run ${i}/${runs}: bare ${b.toFixed(1)} ms/step, agent ${a.toFixed(1)} ms/step\n`);
      }
    } finally {
      node.shutdown();
      await running;
      await connection.close();
    }
    const b = summarise(bare);
    const a = summarise(agent);
    out[tuning] = { bareMsPerStep: b, agentMsPerStep: a, ratio: Math.round((a.mean / b.mean) * 100) / 100 };
  } finally {
    await stack.stop();
    await fresh.drop();
  }
}
console.log(JSON.stringify(out, null, 2));
console.log(`wrote ${writeResult('floor', { runs, steps, ...out })}`);
process.exit(0);
