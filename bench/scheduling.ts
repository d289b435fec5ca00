/**
 * Priority under saturation, on a real dev server and Postgres. The model slots are made the
 * bottleneck (2 slots, 50 ms per call: 40 calls/s, well under what the kernel itself can do), then:
 *
 *  1. idle: a few high-priority agents alone — their step latency;
 *  2. saturated: many low-priority agents fill the slots' backlog first, then the same high-priority
 *     agents run — their step latency against idle (the goal: within 1.5× at p50 and p95), the
 *     low-priority agents' latency, and whether every low-priority agent finished (aging).
 *
 * Step latency = time between an agent's consecutive replies (its first from its spawn).
 *
 *   bun bench/scheduling.ts [--high 2] [--low 40] [--steps 10] [--latency 50] [--slots 2]
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

const { values } = parseArgs({ options: { high: { type: 'string', default: '2' }, low: { type: 'string', default: '40' }, steps: { type: 'string', default: '10' }, latency: { type: 'string', default: '50' }, slots: { type: 'string', default: '2' }, aging: { type: 'string', default: '5000' } } });
const high = Number(values.high);
const low = Number(values.low);
const steps = Number(values.steps);
const latencyMs = Number(values.latency);
const slots = Number(values.slots);
const agingMs = Number(values.aging);
const model = `scripted:${steps}:${latencyMs}`;
const round = (x: number) => Math.round(x * 100) / 100;

async function spawn(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'bench', goal: 'load', input: 'go', model, constraints: { maxSteps: steps }, ...body }) });
  if (res.status !== 201) throw new Error(`spawn answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function settle(stack: Stack, ids: string[]): Promise<Array<{ status: string; steps: number }>> {
  return (await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()))) as Array<{ status: string; steps: number }>;
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

const fresh = await createTestDatabase();
const stack = await startStack({
  config: loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: 'bench-priority', LLM_SLOTS: String(slots), AGING_INTERVAL_MS: String(agingMs) }),
  logger: createLogger('warn'),
  database: { url: fresh.url, poolSize: 20 },
  devServer: { ui: false },
  apiPort: 0,
});
try {
  // Warm the worker, the bundle and the connections.
  await settle(stack, [await spawn(stack, { name: 'warm', priority: 1, constraints: { maxSteps: 2 }, model: `scripted:2:${latencyMs}` })]);

  // 1. Idle: the high-priority agents alone.
  const idleIds = await Promise.all(Array.from({ length: high }, (_, i) => spawn(stack, { name: `idle-high-${i}`, priority: 1 })));
  await settle(stack, idleIds);
  const idle = summarise(await stepLatencies(stack, idleIds));

  // 2. Saturated: low-priority agents first (their steps fill the slots' backlog), then the same high-priority agents.
  const lowIds = await Promise.all(Array.from({ length: low }, (_, i) => spawn(stack, { name: `low-${i}`, priority: 10 })));
  await Bun.sleep(1_000);
  const highIds = await Promise.all(Array.from({ length: high }, (_, i) => spawn(stack, { name: `high-${i}`, priority: 1 })));
  await settle(stack, highIds);
  const saturatedHigh = summarise(await stepLatencies(stack, highIds));
  const lowResults = await settle(stack, lowIds);
  const lowLatency = summarise(await stepLatencies(stack, lowIds));
  const lowFinished = lowResults.filter((r) => r.status === 'completed' && r.steps === steps).length;

  const result = {
    slots,
    modelLatencyMs: latencyMs,
    slotCapacityStepsPerSecond: round((slots * 1000) / latencyMs),
    stepsPerAgent: steps,
    agingIntervalMs: agingMs,
    highAgents: high,
    lowAgents: low,
    idleHigh: idle,
    saturatedHigh,
    low: lowLatency,
    lowFinished,
    ratioP50SaturatedOverIdle: round(saturatedHigh.p50 / idle.p50),
    ratioP95SaturatedOverIdle: round(saturatedHigh.p95 / idle.p95),
  };
  console.log(`slots ${slots}, ${latencyMs} ms per call; ${high} high-priority agents, ${low} low-priority agents × ${steps} steps`);
  console.log(`high, idle kernel:      p50 ${idle.p50} ms, p95 ${idle.p95} ms`);
  console.log(`high, saturated slots:  p50 ${saturatedHigh.p50} ms, p95 ${saturatedHigh.p95} ms (${result.ratioP50SaturatedOverIdle}× / ${result.ratioP95SaturatedOverIdle}× idle)`);
  console.log(`low, saturated:         p50 ${lowLatency.p50} ms, p95 ${lowLatency.p95} ms; ${lowFinished}/${low} finished`);
  console.log(`wrote ${writeResult('scheduling', result)}`);
} finally {
  await stack.stop();
  await fresh.drop();
}
process.exit(0);
