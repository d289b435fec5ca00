/**
 * Per-step overhead of `agentWorkflow` against a bare Temporal workflow doing one no-op activity per
 * activity the agent runs — same dev server, same worker, same run, alternating. Two agents:
 *
 *  - light: the lightest agent there is (started on the client directly, a 15-character input, no
 *    tools, scripted model with no latency);
 *  - realistic: spawned through the HTTP API, 32 steps, a tool call in 15 of them, a 1,500-token
 *    context window that forces paging and summaries, a 600-token input.
 *
 * The bare baseline for each runs as many no-op activities as the agent ran activities (model calls
 * plus tool calls), so the ratio is the kernel's cost per unit of Temporal work. Writes JSON.
 *
 *   bun bench/step-overhead.ts [--runs 8] [--db postgres|pglite] [--profile light|realistic|both]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { scriptedAgent, startBenchNode } from './bench-node';
import { writeResult } from './results-file';
import { summarise } from './stats';
import { rootFetch, TEST_AUTH_ENV } from '../test/support/keys';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '8' }, db: { type: 'string', default: 'postgres' }, profile: { type: 'string', default: 'both' } } });
const runs = Number(values.runs);
const warmup = 2;
const profiles = values.profile === 'both' ? (['light', 'realistic'] as const) : ([values.profile] as Array<'light' | 'realistic'>);

const LIGHT_STEPS = 20;
const REALISTIC_STEPS = 32;
const REALISTIC_TOOL_CALLS = 15;
const REALISTIC_INPUT = [
  ...Array.from({ length: REALISTIC_TOOL_CALLS }, (_, i) => `CALL calculator {"expression":"${i + 2}*${i + 3}"}`),
  'Context for the task: '.concat('the quarterly figures are reconciled line by line against the ledger, '.repeat(40)),
].join('\n');

const logger = createLogger('warn');
const fresh = values.db === 'postgres' ? await createTestDatabase() : undefined;
const config = loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: 'bench-step-overhead' });
const stack = await startStack({ config, logger, database: fresh ? { url: fresh.url } : { pgliteDir: 'memory://' }, devServer: { ui: false }, worker: false, api: true, apiPort: 0 });

/** Runs the light agent once, started on the client (no API); returns wall ms and activities run. */
async function lightAgent(i: number): Promise<{ ms: number; steps: number; activities: number }> {
  const agent = await scriptedAgent(stack, config.TASK_QUEUE, `bench-agent-${i}-${Date.now()}`, LIGHT_STEPS);
  const t = performance.now();
  const result = (await (await agent.start()).result()) as { steps: number };
  const ms = performance.now() - t;
  if (result.steps !== LIGHT_STEPS) throw new Error(`agent took ${result.steps} steps, expected ${LIGHT_STEPS}`);
  // One model call per step, and finishAgent.
  return { ms, steps: LIGHT_STEPS, activities: LIGHT_STEPS + 1 };
}

/** Runs the realistic agent once through the API; returns wall ms (POST to result) and activities run. */
async function realisticAgent(i: number): Promise<{ ms: number; steps: number; activities: number }> {
  const t = performance.now();
  const res = await rootFetch(`${stack.apiUrl}/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `realistic-${i}`, role: 'an analyst', goal: 'reconcile the figures', input: REALISTIC_INPUT, model: `scripted:${REALISTIC_STEPS}`, tools: ['calculator'], constraints: { maxSteps: REALISTIC_STEPS, contextTokens: 1_500, maxTokensPerStep: 128 } }),
  });
  if (res.status !== 201) throw new Error(`spawn answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const result = (await stack.client.workflow.getHandle(id).result()) as { steps: number; status: string };
  const ms = performance.now() - t;
  if (result.steps !== REALISTIC_STEPS || result.status !== 'completed') throw new Error(`agent ended ${result.status} after ${result.steps} steps`);
  return { ms, steps: REALISTIC_STEPS, activities: REALISTIC_STEPS + REALISTIC_TOOL_CALLS + 1 };
}

async function bare(i: number, activities: number): Promise<number> {
  const t = performance.now();
  const done = await stack.client.workflow.execute('bareWorkflow', { workflowId: `bench-bare-${i}-${Date.now()}`, taskQueue: config.TASK_QUEUE, args: [activities] });
  if (done !== activities) throw new Error(`bare workflow did ${done} activities, expected ${activities}`);
  return performance.now() - t;
}

try {
  const { node, connection } = await startBenchNode(stack, config);
  const running = node.run();
  const out: Record<string, unknown> = {};
  try {
    for (const profile of profiles) {
      const agentPerStep: number[] = [];
      const barePerStep: number[] = [];
      let shape = { steps: 0, activities: 0 };
      for (let i = 0; i < warmup + runs; i++) {
        // Alternate the two so drift in the machine hits both equally.
        const a = profile === 'light' ? await lightAgent(i) : await realisticAgent(i);
        const b = await bare(i, a.activities);
        shape = { steps: a.steps, activities: a.activities };
        if (i >= warmup) {
          agentPerStep.push(a.ms / a.steps);
          barePerStep.push(b / a.steps);
        }
        process.stderr.write(`${profile} run ${i + 1}/${warmup + runs}${i < warmup ? ' (warm-up)' : ''}: agent ${(a.ms / a.steps).toFixed(1)} ms/step, bare ${(b / a.steps).toFixed(1)} ms per step's activities\n`);
      }
      const agent = summarise(agentPerStep);
      const base = summarise(barePerStep);
      const ratio = Math.round((agent.mean / base.mean) * 100) / 100;
      out[profile] = { ...shape, agentPerStepMs: agent, barePerStepMs: base, ratio, overheadMsPerStep: Math.round((agent.mean - base.mean) * 100) / 100 };
      console.log(`\n${profile}: ${runs} runs × ${shape.steps} steps (${shape.activities} activities), database ${stack.db.kind}`);
      console.log(`  agentWorkflow  mean ${agent.mean} ms/step (p50 ${agent.p50}, p95 ${agent.p95})`);
      console.log(`  bare + noop    mean ${base.mean} ms per step's activities (p50 ${base.p50}, p95 ${base.p95})`);
      console.log(`  ratio ${ratio}×, kernel overhead ${Math.round((agent.mean - base.mean) * 100) / 100} ms/step`);
    }
  } finally {
    node.shutdown();
    await running;
    await connection.close();
  }
  console.log(`wrote ${writeResult(`step-overhead-${stack.db.kind}`, { runs, warmup, database: stack.db.kind, ...out })}`);
} finally {
  await stack.stop();
  await fresh?.drop();
}

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
