/**
 * Crews against their ideal and against bare Temporal, same dev server, same worker, same run:
 *  (a) 10 independent agents, each one model call of 1 s: the crew's wall time over the ideal (the
 *      critical path: one call) — an engine that runs "parallel" branches one after another takes 10×;
 *  (b) a fan-out of 200 agents, 50 at a time: wall time per item against a bare workflow fanning out
 *      200 bare child workflows (one no-op activity each) under the same cap.
 * Writes bench/results/crews.json.
 *
 *   bun bench/crews.ts [--runs 3] [--items 200] [--cap 50]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { startBenchNode } from './bench-node';
import { writeResult } from './results-file';
import { summarise } from './stats';
import { rootFetch, TEST_AUTH_ENV } from '../test/support/keys';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, items: { type: 'string', default: '200' }, cap: { type: 'string', default: '50' } } });
const runs = Number(values.runs);
const items = Number(values.items);
const cap = Number(values.cap);
const PARALLEL = 10;
const LATENCY_MS = 1_000;

const fresh = await createTestDatabase();
const config = loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: 'bench-crews', LLM_SLOTS: '64' });
const stack = await startStack({ config, logger: createLogger('warn'), database: { url: fresh.url, poolSize: 20 }, devServer: { ui: false }, worker: false, api: true, apiPort: 0 });

async function crew(body: Record<string, unknown>): Promise<number> {
  const t = performance.now();
  const res = await rootFetch(`${stack.apiUrl}/crews`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`crew answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const result = (await stack.client.workflow.getHandle(id).result()) as { status: string };
  if (result.status !== 'completed') throw new Error(`crew ${id} ended ${result.status}`);
  return performance.now() - t;
}

try {
  const { node, connection } = await startBenchNode(stack, config);
  const running = node.run();
  const parallel: number[] = [];
  const fanout: number[] = [];
  const bare: number[] = [];
  try {
    for (let r = 0; r < runs + 1; r++) {
      const p = await crew({ name: `parallel ${r}`, maxConcurrency: PARALLEL, nodes: Array.from({ length: PARALLEL }, (_, i) => ({ id: `n${i}`, kind: 'agent', agent: { role: 'r', goal: 'g', input: `task ${i}`, model: `scripted:1:${LATENCY_MS}` } })) });
      const f = await crew({ name: `fanout ${r}`, nodes: [{ id: 'each', kind: 'foreach', foreach: { items: Array.from({ length: items }, (_, i) => `item ${i}`), concurrency: cap, agent: { role: 'r', goal: 'g', input: '{{item}}', model: 'scripted:1' } } }] });
      const t = performance.now();
      const done = await stack.client.workflow.execute('bareFanoutWorkflow', { workflowId: `bench-bare-fanout-${r}-${Date.now()}`, taskQueue: config.TASK_QUEUE, args: [items, cap] });
      const b = performance.now() - t;
      if (done !== items) throw new Error(`bare fan-out did ${done} of ${items}`);
      process.stderr.write(`run ${r + 1}/${runs + 1}${r === 0 ? ' (warm-up)' : ''}: parallel ${Math.round(p)} ms; fan-out ${Math.round(f)} ms vs bare ${Math.round(b)} ms\n`);
      if (r === 0) continue;
      parallel.push(p);
      fanout.push(f / items);
      bare.push(b / items);
    }
  } finally {
    node.shutdown();
    await running;
    await connection.close();
  }
  const p = summarise(parallel);
  const f = summarise(fanout);
  const b = summarise(bare);
  const result = {
    parallel: { agents: PARALLEL, modelLatencyMs: LATENCY_MS, idealMs: LATENCY_MS, wallMs: p, overIdeal: Math.round((p.mean / LATENCY_MS) * 100) / 100, sequentialWouldTakeMs: PARALLEL * LATENCY_MS },
    fanout: { items, cap, perItemMs: f, barePerItemMs: b, ratio: Math.round((f.mean / b.mean) * 100) / 100 },
  };
  console.log(`\n${PARALLEL} parallel agents × ${LATENCY_MS} ms calls: ${p.mean} ms wall (${result.parallel.overIdeal}× the ${LATENCY_MS} ms critical path; one after another: ${PARALLEL * LATENCY_MS} ms)`);
  console.log(`fan-out of ${items}, ${cap} at a time: ${f.mean} ms per item vs ${b.mean} ms for a bare child workflow: ${result.fanout.ratio}×`);
  console.log(`wrote ${writeResult('crews', { runs, ...result })}`);
} finally {
  await stack.stop();
  await fresh.drop();
}

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
