/**
 * Per-step overhead of `agentWorkflow` (scripted LLM, no latency: every step reads pages from and
 * writes a reply page to the database) against a bare Temporal workflow doing one no-op activity
 * per step — same dev server, same worker, same run. Prints both and the ratio; writes JSON.
 *
 *   bun bench/step-overhead.ts [--steps 20] [--runs 10] [--db postgres|pglite]
 */
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { createProviderRegistry } from '../activities/llm/registry';
import { createAgentRecord } from '../db/agents';
import { toPageRef } from '../db/pages';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { createKernelNode } from '../infra/temporal/worker';
import { agentRunInput } from '../kernel/agent/run-input';
import { spawnAgentSchema } from '../kernel/agent/spawn';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { writeResult } from './results-file';
import { summarise } from './stats';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, runs: { type: 'string', default: '10' }, db: { type: 'string', default: 'postgres' } } });
const steps = Number(values.steps);
const runs = Number(values.runs);
const warmup = 2;

const logger = createLogger('warn');
const fresh = values.db === 'postgres' ? await createTestDatabase() : undefined;
const config = loadConfig({ LOG_LEVEL: 'warn', TASK_QUEUE: 'bench-step-overhead' });
const stack = await startStack({ config, logger, database: fresh ? { url: fresh.url } : { pgliteDir: 'memory://' }, devServer: { ui: false }, worker: false, api: false });

try {
  const connection = await NativeConnection.connect({ address: stack.temporal.address });
  const node = await createKernelNode({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    llmSlots: config.LLM_SLOTS,
    db: stack.db.db,
    pubsub: stack.db.pubsub,
    providerFor: createProviderRegistry(config),
    workflowBundle: await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, logger: new DefaultLogger('WARN') }),
    extraActivities: { noop: async (step: number) => step },
  });
  const running = node.run();
  const agentPerStep: number[] = [];
  const barePerStep: number[] = [];

  try {
    for (let i = 0; i < warmup + runs; i++) {
      // Alternate the two so drift in the machine hits both equally.
      const spec = spawnAgentSchema.parse({ name: `bench-${i}`, role: 'r', goal: 'g', input: 'benchmark input', constraints: { maxSteps: steps } });
      const id = `bench-agent-${i}-${Date.now()}`;
      const { input } = await createAgentRecord(stack.db.db, id, { ...spec, model: `scripted:${steps}` });
      let t = performance.now();
      const result = await stack.client.workflow.execute('agentWorkflow', {
        workflowId: id,
        taskQueue: config.TASK_QUEUE,
        args: [agentRunInput({ agentId: id, model: `scripted:${steps}`, maxSteps: steps, taskQueue: config.TASK_QUEUE, pages: [toPageRef(input)] })],
      });
      const agentMs = performance.now() - t;
      if ((result as { steps: number }).steps !== steps) throw new Error(`agent took ${(result as { steps: number }).steps} steps, expected ${steps}`);

      t = performance.now();
      const done = await stack.client.workflow.execute('bareWorkflow', { workflowId: `bench-bare-${i}-${Date.now()}`, taskQueue: config.TASK_QUEUE, args: [steps] });
      const bareMs = performance.now() - t;
      if (done !== steps) throw new Error(`bare workflow did ${done} steps, expected ${steps}`);

      if (i >= warmup) {
        agentPerStep.push(agentMs / steps);
        barePerStep.push(bareMs / steps);
      }
      process.stderr.write(`run ${i + 1}/${warmup + runs}${i < warmup ? ' (warm-up)' : ''}: agent ${(agentMs / steps).toFixed(2)} ms/step, bare ${(bareMs / steps).toFixed(2)} ms/step\n`);
    }
  } finally {
    node.shutdown();
    await running;
    await connection.close();
  }

  const agent = summarise(agentPerStep);
  const bare = summarise(barePerStep);
  const ratio = Math.round((agent.mean / bare.mean) * 100) / 100;
  const overheadMs = Math.round((agent.mean - bare.mean) * 100) / 100;
  console.log(`\nper-step latency (ms), ${runs} runs × ${steps} steps, database ${stack.db.kind}`);
  console.log('workflow          mean     p50     p95');
  console.log(`agentWorkflow  ${String(agent.mean).padStart(7)} ${String(agent.p50).padStart(7)} ${String(agent.p95).padStart(7)}`);
  console.log(`bare + noop    ${String(bare.mean).padStart(7)} ${String(bare.p50).padStart(7)} ${String(bare.p95).padStart(7)}`);
  console.log(`ratio agent/bare: ${ratio}×  (kernel overhead ${overheadMs} ms/step)`);
  const path = writeResult(`step-overhead-${stack.db.kind}`, { steps, runs, warmup, database: stack.db.kind, agentPerStepMs: agent, barePerStepMs: bare, ratio, overheadMsPerStep: overheadMs });
  console.log(`wrote ${path}`);
} finally {
  await stack.stop();
  await fresh?.drop();
}
