/**
 * Throughput and priority under load, on a real dev server and Postgres:
 *  1. steps/s with 200 concurrent agents (scripted model, 10 steps each, no model latency);
 *  2. p50/p95 step latency of high- vs low-priority agents when the LLM slots are saturated
 *     (2 slots, 20 + 20 agents, 25 ms per model call).
 * Step latency = time between an agent's consecutive replies (its first from its spawn).
 *
 *   bun bench/scheduling.ts [--agents 200] [--steps 10]
 */
import { parseArgs } from 'node:util';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { agents as agentsTable, contextPages } from '../db/schema';
import { createLogger } from '../infra/logger';
import { startStack, type Stack } from '../infra/stack';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { writeResult } from './results-file';
import { summarise } from './stats';
import { rootFetch, TEST_AUTH_ENV } from '../test/support/keys';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '200' }, steps: { type: 'string', default: '10' } } });
const agentCount = Number(values.agents);
const steps = Number(values.steps);
const logger = createLogger('warn');

async function withStack<T>(env: Record<string, string>, run: (stack: Stack) => Promise<T>): Promise<T> {
  const fresh = await createTestDatabase();
  const stack = await startStack({ config: loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, ...env }), logger, database: { url: fresh.url, poolSize: 20 }, devServer: { ui: false }, apiPort: 0 });
  try {
    return await run(stack);
  } finally {
    await stack.stop();
    await fresh.drop();
  }
}

async function spawn(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'bench', goal: 'load', input: 'go', ...body }) });
  if (res.status !== 201) throw new Error(`spawn answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function settle(stack: Stack, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()));
}

/** Per-step latencies (ms) of the given agents, from the database. */
async function stepLatencies(stack: Stack, ids: string[]): Promise<number[]> {
  const created = new Map((await stack.db.db.select({ id: agentsTable.id, at: agentsTable.createdAt }).from(agentsTable).where(inArray(agentsTable.id, ids))).map((r) => [r.id, r.at.getTime()]));
  const replies = await stack.db.db.select({ agentId: contextPages.agentId, at: contextPages.createdAt }).from(contextPages).where(and(inArray(contextPages.agentId, ids), eq(contextPages.purpose, 'reply'))).orderBy(asc(contextPages.createdAt));
  const last = new Map(created);
  const out: number[] = [];
  for (const r of replies) {
    out.push(r.at.getTime() - last.get(r.agentId)!);
    last.set(r.agentId, r.at.getTime());
  }
  return out;
}

const throughput = await withStack({ TASK_QUEUE: 'bench-throughput', LLM_SLOTS: '64' }, async (stack) => {
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: agentCount }, (_, i) => spawn(stack, { name: `load-${i}`, model: `scripted:${steps}`, constraints: { maxSteps: steps } })));
  const spawnedMs = performance.now() - t0;
  await settle(stack, ids);
  const wallMs = performance.now() - t0;
  const total = agentCount * steps;
  const latency = summarise(await stepLatencies(stack, ids));
  process.stderr.write(`throughput: ${total} steps in ${(wallMs / 1000).toFixed(1)} s\n`);
  return { agents: agentCount, stepsPerAgent: steps, totalSteps: total, spawnMs: Math.round(spawnedMs), wallMs: Math.round(wallMs), stepsPerSecond: Math.round((total / wallMs) * 1000 * 10) / 10, stepLatencyMs: latency };
});

const priority = await withStack({ TASK_QUEUE: 'bench-priority', LLM_SLOTS: '2', AGING_INTERVAL_MS: '600000' }, async (stack) => {
  const low: string[] = [];
  const high: string[] = [];
  for (let i = 0; i < 20; i++) {
    low.push(await spawn(stack, { name: `low-${i}`, model: 'scripted:5:25', priority: 10 }));
    high.push(await spawn(stack, { name: `high-${i}`, model: 'scripted:5:25', priority: 1 }));
  }
  await settle(stack, [...low, ...high]);
  const h = summarise(await stepLatencies(stack, high));
  const l = summarise(await stepLatencies(stack, low));
  return { slots: 2, agentsPerClass: 20, stepsPerAgent: 5, modelLatencyMs: 25, high: h, low: l, ratioP50LowOverHigh: Math.round((l.p50 / h.p50) * 100) / 100, ratioP95LowOverHigh: Math.round((l.p95 / h.p95) * 100) / 100 };
});

console.log(`\n${throughput.agents} concurrent agents × ${throughput.stepsPerAgent} steps: ${throughput.stepsPerSecond} steps/s (wall ${throughput.wallMs} ms; step latency p50 ${throughput.stepLatencyMs.p50} ms, p95 ${throughput.stepLatencyMs.p95} ms)`);
console.log(`\nsaturated (2 slots, 20 high + 20 low agents): step latency ms`);
console.log('class    p50      p95');
console.log(`high  ${String(priority.high.p50).padStart(7)}  ${String(priority.high.p95).padStart(7)}`);
console.log(`low   ${String(priority.low.p50).padStart(7)}  ${String(priority.low.p95).padStart(7)}`);
console.log(`ratio low/high: p50 ${priority.ratioP50LowOverHigh}×, p95 ${priority.ratioP95LowOverHigh}×`);
console.log(`wrote ${writeResult('scheduling', { throughput, priority })}`);

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
