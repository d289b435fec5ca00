/**
 * Throughput at saturation, agent against bare Temporal, in one run on one machine:
 *
 *  1. N agents × 10 steps (scripted model, no latency) against N bare workflows × 10 no-op
 *     activities, both started on the client (the agent's record written first), on one in-process
 *     worker, for N = 200 and 1,000, in rounds of alternating order (medians and the spread of the
 *     rounds' ratios are reported); with the CPU seconds each process used (this
 *     process: API, worker and client; the Temporal dev server; every Postgres backend). Then the
 *     first N again, spawned through the API.
 *  2. Worker processes: the same 200 agents on one `bun run worker` process, then on two.
 *  3. The production path: 200 agents and 200 bare workflows against Temporal server 1.29.1 built
 *     from the Go proxy, its state in the local Postgres (`infra/temporal/production-server.ts`),
 *     with the same dynamic config as the dev server. `--production false` skips it.
 *
 *   bun bench/throughput.ts [--agents 200,1000] [--steps 10] [--rounds 3] [--workers-agents 200] [--production true]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack, type Stack } from '../infra/stack';
import { loadConfig, type Config } from '../kernel/config';
import { startProductionServer, TEMPORAL_SERVER_VERSION } from '../infra/temporal/production-server';
import { createTestDatabase } from '../test/support/postgres';
import { rootFetch, TEST_AUTH_ENV } from '../test/support/keys';
import { nodeProcesses } from '../test/support/nodes';
import { startTestStack } from '../test/support/stack';
import { scriptedAgent, startBenchNode } from './bench-node';
import { commandCpuSeconds, cpuMeter, processCpuSeconds, selfCpuSeconds } from './cpu';
import { writeResult } from './results-file';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '200,1000' }, steps: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, 'workers-agents': { type: 'string', default: '200' }, production: { type: 'string', default: 'true' } } });
const counts = values.agents.split(',').map(Number);
const steps = Number(values.steps);
const workersAgents = Number(values['workers-agents']);
const rounds = Number(values.rounds);
/** Enough model slots that the slots are never what limits (this measures the kernel, not a provider). */
const LLM_SLOTS = '512';
/** No tenant cap on live agents (the default 500 would refuse the 1,000-agent run). */
const UNCAPPED = { TENANT_MAX_LIVE_AGENTS: '100000' };
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const round2 = (x: number) => round(x, 2);

async function spawnAgents(stack: Stack, n: number, tag: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `${tag}-${i}`, role: 'bench', goal: 'load', input: 'go', model: `scripted:${steps}`, constraints: { maxSteps: steps } }) });
      if (res.status !== 201) throw new Error(`spawn answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }),
  );
}

/** Starts n agents on the client, as the bare workflows are: the agent record, then the workflow. */
async function startAgents(stack: Stack, taskQueue: string, n: number, tag: string): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => (await (await scriptedAgent(stack, taskQueue, `${tag}-${i}-${Date.now()}`, steps, 'go')).start()).workflowId));
}

/**
 * Runs n agents to the end — started on the client like the bare workflows, or spawned through the
 * API (which also answers each spawn with the agent's live state) — and returns steps/s over the
 * whole run (first start to last result) and how long starting them took.
 */
async function agentsRun(stack: Stack, taskQueue: string, n: number, tag: string, via: 'client' | 'api' = 'client'): Promise<{ wallMs: number; startMs: number; stepsPerSecond: number }> {
  const t = performance.now();
  const ids = via === 'api' ? await spawnAgents(stack, n, tag) : await startAgents(stack, taskQueue, n, tag);
  const startMs = Math.round(performance.now() - t);
  const results = (await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()))) as Array<{ steps: number }>;
  const wallMs = performance.now() - t;
  const done = results.reduce((sum, r) => sum + r.steps, 0);
  if (done !== n * steps) throw new Error(`agents took ${done} steps, expected ${n * steps}`);
  return { wallMs: Math.round(wallMs), startMs, stepsPerSecond: round((done / wallMs) * 1000) };
}

async function bareRun(stack: Stack, taskQueue: string, n: number, tag: string): Promise<{ wallMs: number; stepsPerSecond: number }> {
  const t = performance.now();
  const handles = await Promise.all(Array.from({ length: n }, (_, i) => stack.client.workflow.start('bareWorkflow', { workflowId: `${tag}-${i}-${Date.now()}`, taskQueue, args: [steps] })));
  const done = ((await Promise.all(handles.map((h) => h.result()))) as number[]).reduce((a, b) => a + b, 0);
  const wallMs = performance.now() - t;
  if (done !== n * steps) throw new Error(`bare workflows did ${done} activities, expected ${n * steps}`);
  return { wallMs: Math.round(wallMs), stepsPerSecond: round((done / wallMs) * 1000) };
}

/** CPU seconds per 1,000 steps, by process. */
const per1000 = (cpu: Record<string, number>, totalSteps: number) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round((v / totalSteps) * 1000, 2)]));

/** The median of a list of numbers. */
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** CPU seconds of several runs added up, by process. */
const addCpu = (runs: Array<Record<string, number>>) => runs.reduce<Record<string, number>>((sum, c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, (sum[k] ?? 0) + v])), {});

/**
 * Agent against bare on one in-process worker, for each agent count, in `rounds` rounds whose order
 * alternates (agent first, then bare first): each run leaves timers on the server (a step's
 * schedule-to-start and heartbeat timeouts, a bare activity's start-to-close) that fire during the
 * next, so one pair says little; the medians of the rounds and their spread are reported.
 * `temporalPid` is the server's process.
 */
async function agentAgainstBare(stack: Stack, config: Config, temporalPid: number, agentCounts: number[], viaApiToo = true): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const { node, connection } = await startBenchNode(stack, config);
  const running = node.run();
  const meter = cpuMeter({ kernel: selfCpuSeconds, temporal: () => processCpuSeconds(temporalPid), postgres: () => commandCpuSeconds('postgres') });
  try {
    // A full-size round first, not measured: the server's throughput climbs over its first minutes
    // under load (a bare run went from 105 to 136 steps/s over three rounds without it).
    await agentsRun(stack, config.TASK_QUEUE, agentCounts[0]!, 'warm');
    await bareRun(stack, config.TASK_QUEUE, agentCounts[0]!, 'warm-bare');
    for (const n of agentCounts) {
      const agentRuns: Array<{ wallMs: number; stepsPerSecond: number; cpuSeconds: Record<string, number> }> = [];
      const bareRuns: typeof agentRuns = [];
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const sides = round % 2 === 0 ? (['agent', 'bare'] as const) : (['bare', 'agent'] as const);
        const got: Partial<Record<'agent' | 'bare', number>> = {};
        for (const side of sides) {
          meter.mark();
          const run = side === 'agent' ? await agentsRun(stack, config.TASK_QUEUE, n, `a${n}r${round}`) : await bareRun(stack, config.TASK_QUEUE, n, `b${n}r${round}`);
          (side === 'agent' ? agentRuns : bareRuns).push({ wallMs: run.wallMs, stepsPerSecond: run.stepsPerSecond, cpuSeconds: meter.since() });
          got[side] = run.stepsPerSecond;
        }
        ratios.push(round2(got.agent! / got.bare!));
        process.stderr.write(`${n} agents, round ${round + 1}/${rounds}: ${got.agent} steps/s; bare ${got.bare} steps/s; ratio ${ratios.at(-1)}\n`);
      }
      const side = (runs: typeof agentRuns) => {
        const cpuSeconds = addCpu(runs.map((r) => r.cpuSeconds));
        return { stepsPerSecond: round(median(runs.map((r) => r.stepsPerSecond))), runs: runs.map((r) => ({ wallMs: r.wallMs, stepsPerSecond: r.stepsPerSecond })), cpuSeconds, cpuSecondsPer1000Steps: per1000(cpuSeconds, runs.length * n * steps) };
      };
      const agent = side(agentRuns);
      const bare = side(bareRuns);
      const ratio = round2(agent.stepsPerSecond / bare.stepsPerSecond);
      out[String(n)] = { agents: n, stepsPerAgent: steps, rounds, agent, bare, ratio, roundRatios: ratios, ratioRange: [Math.min(...ratios), Math.max(...ratios)] };
      process.stderr.write(`${n} agents: median ${agent.stepsPerSecond} steps/s; bare ${bare.stepsPerSecond} steps/s; ratio ${ratio} (rounds ${ratios.join(', ')})\n`);
    }
    // The same agents spawned through the API (each spawn answered with the agent's live state).
    const n = agentCounts[0]!;
    if (!viaApiToo) return out;
    meter.mark();
    const viaApi = await agentsRun(stack, config.TASK_QUEUE, n, `api${n}`, 'api');
    out.viaApi = { agents: n, ...viaApi, cpuSecondsPer1000Steps: per1000(meter.since(), n * steps) };
    process.stderr.write(`${n} agents through the API: ${viaApi.stepsPerSecond} steps/s (spawning took ${viaApi.startMs} ms)\n`);
  } finally {
    node.shutdown();
    await running;
    await connection.close();
  }
  return out;
}

// 1. Agent against bare, one in-process worker, on the dev server.
const fresh = await createTestDatabase();
const config = loadConfig({ LOG_LEVEL: 'error', ...TEST_AUTH_ENV, ...UNCAPPED, TASK_QUEUE: 'bench-throughput', LLM_SLOTS });
const stack = await startStack({ config, logger: createLogger('error'), database: { url: fresh.url, poolSize: 20 }, devServer: { ui: false }, worker: false, api: true, apiPort: 0 });
let inProcess: Record<string, unknown>;
try {
  inProcess = await agentAgainstBare(stack, config, stack.temporal.devServer!.pid, counts);
} finally {
  await stack.stop();
  await fresh.drop();
}

// 3 (run here, beside 1). The production server on Postgres, same dynamic config.
let production: Record<string, unknown> | undefined;
if (values.production !== 'false') {
  const server = await startProductionServer({ reset: true, database: 'aok_bench_temporal', visibilityDatabase: 'aok_bench_temporal_visibility', progress: (line) => process.stderr.write(`${line}\n`) });
  const kernelDb = await createTestDatabase();
  const prodConfig = loadConfig({ LOG_LEVEL: 'error', ...TEST_AUTH_ENV, ...UNCAPPED, TASK_QUEUE: 'bench-throughput-prod', LLM_SLOTS, TEMPORAL_ADDRESS: server.address });
  const prodStack = await startStack({ config: prodConfig, logger: createLogger('error'), database: { url: kernelDb.url, poolSize: 20 }, devServer: false, worker: false, api: true, apiPort: 0 });
  try {
    production = { server: `temporal server ${TEMPORAL_SERVER_VERSION} on Postgres (4 history shards)`, ...(await agentAgainstBare(prodStack, prodConfig, server.pid, [counts[0]!], false)) };
  } finally {
    await prodStack.stop();
    await kernelDb.drop();
    await server.stop();
  }
}

// 2. One and two `bun run worker` processes on one Postgres and one server (the API in this process).
const nodes = await startTestStack({ database: 'postgres', worker: false, env: { LLM_SLOTS, ...UNCAPPED } });
const workers = nodeProcesses(() => nodes);
const scaling: Record<string, unknown> = {};
try {
  const started = [workers.start({ NODE_ID: 'w1', LLM_SLOTS })];
  for (const count of [1, 2]) {
    if (count === 2) started.push(workers.start({ NODE_ID: 'w2', LLM_SLOTS }));
    await Bun.sleep(3_000);
    await agentsRun(nodes, nodes.config.TASK_QUEUE, 20, `warm-w${count}`);
    const meter = cpuMeter({
      api: selfCpuSeconds,
      workers: () => started.reduce((n, w) => n + processCpuSeconds(w.proc.pid), 0),
      temporal: () => processCpuSeconds(nodes.temporal.devServer!.pid),
      postgres: () => commandCpuSeconds('postgres'),
    });
    const run = await agentsRun(nodes, nodes.config.TASK_QUEUE, workersAgents, `w${count}`);
    scaling[String(count)] = { workerProcesses: count, agents: workersAgents, ...run, cpuSeconds: meter.since() };
    process.stderr.write(`${count} worker process(es): ${run.stepsPerSecond} steps/s\n`);
  }
} finally {
  await workers.stopAll();
  await nodes.stop();
}
const one = (scaling['1'] as { stepsPerSecond: number }).stepsPerSecond;
const two = (scaling['2'] as { stepsPerSecond: number }).stepsPerSecond;
console.log(JSON.stringify({ inProcess, scaling }, null, 2));
console.log(`wrote ${writeResult('throughput', { llmSlots: Number(LLM_SLOTS), inProcess, workerProcesses: { ...scaling, ratioTwoOverOne: round(two / one, 2) }, ...(production ? { production } : {}) })}`);
process.exit(0);
