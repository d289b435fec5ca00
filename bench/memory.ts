/**
 * Worker memory per waiting agent: N agents each call the `wait` tool (a one-hour durable timer) and
 * hold; the RSS of a real `bun run worker` process is read before and after, for two sticky-cache
 * sizes — one that holds every waiting agent's workflow and the default. A waiting agent out of the
 * cache costs the worker nothing (its state is its history, replayed when the timer fires).
 *
 *   bun bench/memory.ts [--agents 2000] [--caches 2000,100]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/raw-rows';
import { rootFetch } from '../test/support/keys';
import { nodeProcesses } from '../test/support/nodes';
import { startTestStack } from '../test/support/stack';
import { writeResult } from './results-file';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '2000' }, caches: { type: 'string', default: '2000,100' } } });
const agentCount = Number(values.agents);
const caches = values.caches.split(',').map(Number);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Resident memory of a process, MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024);
}

const runs: Array<Record<string, unknown>> = [];
for (const cache of caches) {
  const stack = await startTestStack({ database: 'postgres', worker: false, env: { LLM_SLOTS: '64', TENANT_MAX_LIVE_AGENTS: '100000' } });
  const workers = nodeProcesses(() => stack);
  try {
    const worker = workers.start({ NODE_ID: `mem-${cache}`, WORKFLOW_CACHE_SIZE: String(cache), LLM_SLOTS: '64' });
    await Bun.sleep(4_000);
    const spawn = async (i: number) => {
      const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `waiter-${i}`, role: 'bench', goal: 'wait', input: 'CALL wait {"seconds":3600}', model: 'scripted:2', tools: ['wait'] }) });
      if (res.status !== 201) throw new Error(`spawn answered ${res.status}: ${await res.text()}`);
    };
    // Warm the worker (bundle, connections) before the baseline.
    for (let i = 0; i < 10; i++) await spawn(-1 - i);
    const waiting = async () => Number(rowsOf<{ n: number }>(await stack.db.db.execute(sql`select count(*)::int as n from agents where hold = 'timer'`))[0]?.n ?? 0);
    while ((await waiting()) < 10) await Bun.sleep(200);
    Bun.gc(true);
    await Bun.sleep(2_000);
    const idleMiB = rssMiB(worker.proc.pid);
    const t = performance.now();
    for (let i = 0; i < agentCount; i += 100) await Promise.all(Array.from({ length: Math.min(100, agentCount - i) }, (_, j) => spawn(i + j)));
    while ((await waiting()) < agentCount + 10) {
      await Bun.sleep(1_000);
      process.stderr.write(`cache ${cache}: ${(await waiting()) - 10}/${agentCount} agents waiting, worker RSS ${rssMiB(worker.proc.pid)} MiB\r`);
    }
    const settleMs = Math.round(performance.now() - t);
    await Bun.sleep(5_000);
    const waitingMiB = rssMiB(worker.proc.pid);
    const run = { workflowCacheSize: cache, agents: agentCount, idleRssMiB: idleMiB, waitingRssMiB: waitingMiB, addedMiB: round(waitingMiB - idleMiB), kibPerWaitingAgent: round(((waitingMiB - idleMiB) * 1024) / agentCount), cachedWorkflows: Math.min(cache, agentCount + 10), spawnToAllWaitingMs: settleMs };
    runs.push(run);
    process.stderr.write(`\ncache ${cache}: worker RSS ${idleMiB} → ${waitingMiB} MiB with ${agentCount} agents waiting (${run.kibPerWaitingAgent} KiB each)\n`);
  } finally {
    await workers.stopAll();
    await stack.stop();
  }
}
console.log(`wrote ${writeResult('memory', { runs })}`);
process.exit(0);
