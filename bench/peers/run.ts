/**
 * Peer benchmarks: the same 10-step agent (each step calls a fake in-process model that answers at
 * once, stores the reply durably, and moves on) on this kernel, on DBOS Transact and on LangGraph JS
 * with its Postgres checkpointer, in this process, each against its own fresh database on the same local
 * Postgres. After a warm-up the peers are interleaved (A, B, B, A, …) in one run and measured for:
 *
 *  - sequential: ms per step (an agent's wall time over its 10 steps), agents run one after the other;
 *  - concurrent: steps/s with `--agents` agents started at once (several rounds), and once with `--large`;
 *  - bytes per agent: `sum(pg_column_size(t.*))` over one agent's rows in the peer's tables, and the
 *    growth of `sum(pg_total_relation_size)` over its tables across each concurrent batch, per agent.
 *
 * Writes `bench/results/peers.json`.
 *
 *   bun bench/peers/run.ts [--agents 200] [--sequential 8] [--rounds 3] [--large 1000] [--warmup 2]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ADMIN_URL } from '../../test/support/postgres';
import { writeResult } from '../results-file';
import { summarise, type Summary } from '../stats';
import { createDbosPeer } from './dbos';
import { createKernelPeer } from './kernel';
import { createLangGraphPeer } from './langgraph';
import { createPeerDatabase, STEPS, type AgentBytes, type ConcurrentRun, type Peer } from './peer';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '200' },
    sequential: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    large: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '2' },
  },
});
const agents = Number(values.agents);
const sequentialAgents = Number(values.sequential);
const rounds = Number(values.rounds);
const large = Number(values.large);
const warmup = Number(values.warmup);

interface Entry {
  peer: Peer;
  drop: () => Promise<void>;
  database: string;
  perStep: number[];
  concurrent: ConcurrentRun[];
  large?: ConcurrentRun;
  bytes?: AgentBytes;
}

/** The peers in order A, B; round `i` runs them A-B when `i` is even and B-A when odd. */
function ordered<T>(list: readonly T[], i: number): T[] {
  return i % 2 === 0 ? [...list] : [...list].reverse();
}

const loadAtStart = loadavg();
const log = (line: string) => console.error(`[peers] ${line}`);

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const [pg] = await admin<Array<{ version: string; synchronous_commit: string; fsync: string }>>`select version() as version, current_setting('synchronous_commit') as synchronous_commit, current_setting('fsync') as fsync`;
await admin.end();

const entries: Entry[] = [];
const failed: Record<string, string> = {};
for (const make of [createKernelPeer, createDbosPeer, createLangGraphPeer]) {
  let peer: Peer | undefined;
  let database: Awaited<ReturnType<typeof createPeerDatabase>> | undefined;
  try {
    peer = make();
    database = await createPeerDatabase(peer.name);
    await peer.setup(database.url);
    entries.push({ peer, drop: database.drop, database: database.name, perStep: [], concurrent: [] });
    log(`${peer.name} ${JSON.stringify(peer.version)} ready on ${database.name}`);
  } catch (error) {
    const name = peer?.name ?? make.name;
    failed[name] = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`${name} failed to start: ${failed[name]}`);
    await peer?.teardown().catch(() => {});
    await database?.drop().catch(() => {});
  }
}

try {
  // Warm-up: JIT, connection pools, prepared statements; discarded.
  for (let i = 0; i < warmup; i++) for (const e of ordered(entries, i)) await e.peer.runSequential(1);
  for (const e of entries) await e.peer.runConcurrent(Math.min(agents, 20));
  log('warm-up done');

  // Sequential, interleaved agent by agent.
  for (let i = 0; i < sequentialAgents; i++) for (const e of ordered(entries, i)) e.perStep.push(...(await e.peer.runSequential(1)));
  log('sequential done');

  // Concurrent, interleaved batch by batch.
  for (let r = 0; r < rounds; r++) {
    for (const e of ordered(entries, r)) {
      const run = await e.peer.runConcurrent(agents);
      e.concurrent.push(run);
      log(`${e.peer.name} concurrent ${agents}: ${run.stepsPerSec} steps/s`);
    }
  }
  if (large > 0) {
    for (const e of ordered(entries, rounds)) {
      e.large = await e.peer.runConcurrent(large);
      log(`${e.peer.name} concurrent ${large}: ${e.large.stepsPerSec} steps/s`);
    }
  }
  for (const e of entries) e.bytes = await e.peer.bytesPerAgent();

  const median = (xs: number[]) => summarise(xs).p50;
  const result = {
    agent: { steps: STEPS, model: 'fake in-process model, answers at once (0 ms), ~110-byte reply quoting the latest message', input: 'benchmark input' },
    postgres: { version: pg?.version, synchronousCommit: pg?.synchronous_commit, fsync: pg?.fsync, host: '127.0.0.1:5432', databases: 'one fresh database per peer, dropped at the end' },
    method: {
      interleaving: `after ${warmup} warm-up agents and one batch of ${Math.min(agents, 20)} per peer, peers alternate A-B, B-A, … agent by agent (sequential) and batch by batch (concurrent), in one process`,
      sequentialMsPerStep: 'wall time of one agent (start to result, including workflow/graph start and finish) divided by its 10 steps',
      concurrent: `${agents} agents started at once with Promise.all, ${rounds} rounds per peer; steps/s = agents × 10 / batch wall time`,
      bytesRow: 'rowBytes: sum(pg_column_size(t.*)) over the rows of one agent (workflow id / thread id) in every peer table keyed by it — row data only, no indexes, no page overhead',
      bytesRelation: 'totalRelationBytesPerAgent: growth of sum(pg_total_relation_size) over all of the peer’s tables (heap, TOAST, indexes, free space, dead tuples) across a concurrent batch, divided by its agents',
      pools: 'each peer has 10 Postgres connections (DBOS systemDatabasePoolSize 10; PostgresSaver.fromConnString → pg.Pool default max 10)',
    },
    peers: Object.fromEntries(
      entries.map((e) => [
        e.peer.name,
        {
          version: e.peer.version,
          durability: e.peer.durability,
          sequential: { agents: e.perStep.length, msPerStep: summarise(e.perStep) satisfies Summary },
          concurrent: { agents, rounds: e.concurrent, medianStepsPerSec: median(e.concurrent.map((c) => c.stepsPerSec)) },
          ...(e.large ? { concurrentLarge: e.large } : {}),
          bytesPerAgent: { rowBytes: e.bytes?.rowBytes, ...('historyBytes' in e.peer && typeof e.peer.historyBytes === 'function' ? { temporalHistoryBytes: (e.peer.historyBytes as () => number | undefined)() } : {}), byTable: e.bytes?.byTable, totalRelationBytesPerAgent: { median: median(e.concurrent.map((c) => c.totalRelationBytesPerAgent)), ...(e.large ? { large: e.large.totalRelationBytesPerAgent } : {}) } },
        },
      ]),
    ),
    // Other processes on the machine share its CPUs; interleaving spreads their effect over both peers.
    loadAverage1m: { start: loadAtStart[0], end: loadavg()[0] },
    ...(Object.keys(failed).length > 0 ? { failed } : {}),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${writeResult('peers', result)}`);
} finally {
  for (const e of entries) {
    await e.peer.teardown().catch((error: unknown) => log(`${e.peer.name} teardown: ${String(error)}`));
    await e.drop();
  }
}

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
