/**
 * Checkpoint overhead per step: how long writing one step-boundary checkpoint takes (the page table
 * is derived from Postgres, so it grows with the agent's pages) against how long a whole agent step
 * takes on the same stack, in the same run. Writes JSON.
 *
 *   bun bench/checkpoint-overhead.ts [--db postgres|pglite] [--samples 50]
 */
import { parseArgs } from 'node:util';
import { createAgentRecord } from '../db/agents';
import { recordCheckpoint } from '../db/checkpoints';
import { writePage } from '../db/pages';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { spawnAgentSchema } from '../kernel/agent/spawn';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { testBundle } from '../test/support/stack';
import { writeResult } from './results-file';
import { summarise } from './stats';
import { rootFetch, TEST_AUTH_ENV } from '../test/support/keys';

const { values } = parseArgs({ options: { db: { type: 'string', default: 'postgres' }, samples: { type: 'string', default: '50' }, steps: { type: 'string', default: '30' } } });
const samples = Number(values.samples);
const steps = Number(values.steps);
const fresh = values.db === 'postgres' ? await createTestDatabase() : undefined;
const config = loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: `bench-checkpoints-${Date.now()}` });
const stack = await startStack({ config, logger: createLogger('warn'), database: fresh ? { url: fresh.url } : { pgliteDir: 'memory://' }, devServer: { ui: false }, api: true, apiPort: 0, workflowBundle: await testBundle() });
const db = stack.db.db;

const state = { status: 'running', priority: 5, usage: { promptTokens: 100, completionTokens: 20, costUsd: 0 }, budget: { maxTotalTokens: null, maxCostUsd: null } };

/** recordCheckpoint latency for an agent holding `pages` pages. */
async function checkpointLatency(pages: number): Promise<ReturnType<typeof summarise>> {
  const spec = spawnAgentSchema.parse({ name: `cp-${pages}`, role: 'r', goal: 'g', input: 'benchmark input' });
  const id = `bench-cp-${pages}-${Date.now()}`;
  await createAgentRecord(db, id, { ...spec, model: 'scripted:1' });
  for (let s = 1; s <= pages; s++) await writePage(db, { agentId: id, step: s, purpose: 'reply', kind: 'message', role: 'assistant', body: `reply ${s}: ${'lorem ipsum '.repeat(20)}` });
  const times: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const t = performance.now();
    await recordCheckpoint(db, { agentId: id, runId: `run-${i}`, step: pages + i, historyEventId: 10 * i, state });
    if (i >= 5) times.push(performance.now() - t);
  }
  return summarise(times);
}

try {
  // A real agent on the same stack: wall time per step (model call, context assembly, checkpoint, events).
  const perStep: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t = performance.now();
    const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench-step-${r}`, role: 'r', goal: 'g', input: 'benchmark input', model: `scripted:${steps}`, constraints: { maxSteps: steps } }) });
    const { id } = (await res.json()) as { id: string };
    await stack.client.workflow.getHandle(id).result();
    if (r > 0) perStep.push((performance.now() - t) / steps);
  }
  const step = summarise(perStep);
  const byPages: Record<string, ReturnType<typeof summarise>> = {};
  for (const pages of [10, 100, 1_000]) byPages[pages] = await checkpointLatency(pages);
  const atAgentSize = await checkpointLatency(steps);
  const result = {
    database: values.db,
    agentSteps: steps,
    stepWallMs: step,
    checkpointWriteMs: { [`${steps}pages`]: atAgentSize, ...Object.fromEntries(Object.entries(byPages).map(([k, v]) => [`${k}pages`, v])) },
    // Like for like: the mean checkpoint write over the mean step, and the median over the median.
    overheadShareOfStep: { mean: Math.round((atAgentSize.mean / step.mean) * 1000) / 1000, p50: Math.round((atAgentSize.p50 / step.p50) * 1000) / 1000 },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${writeResult(`checkpoint-overhead-${values.db}`, result)}`);
} finally {
  await stack.stop();
  await fresh?.drop();
}

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
