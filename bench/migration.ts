/**
 * Migration latency on real worker processes: the time from `POST /agents/:id/migrate` to the
 * agent's first step started on the new node (split into waiting for the step boundary and moving),
 * the same for `POST /nodes/:id/drain` over every agent on the node, and for a SIGKILLed node
 * (from the kill to the first step elsewhere: lease lapse, adoption, step retry). Writes JSON.
 *
 *   bun bench/migration.ts [--agents 10] [--latency 100]
 */
import { parseArgs } from 'node:util';
import { and, asc, eq, sql } from 'drizzle-orm';
import { agentEvents, contextPages, nodes } from '../db/schema';
import { nodeProcesses } from '../test/support/nodes';
import { startTestStack, postJson } from '../test/support/stack';
import { waitFor } from '../test/support/wait';
import { writeResult } from './results-file';
import { summarise } from './stats';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '10' }, latency: { type: 'string', default: '100' } } });
const count = Number(values.agents);
const model = `scripted:400:${Number(values.latency)}`;

const stack = await startTestStack({ database: 'postgres', worker: false });
const workers = nodeProcesses(() => stack);
const db = stack.db.db;
const LEASE_MS = 1_500;

async function spawnOn(node: string, name: string): Promise<string> {
  const res = await postJson(stack, '/agents', { name, role: 'r', goal: 'g', input: 'benchmark', model, placement: { node }, constraints: { maxSteps: 400, stepTimeoutMs: 3_000 } });
  if (res.status !== 201) throw new Error(`spawn failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

const steps = async (id: string) => (await db.select({ n: sql<number>`count(*)::int` }).from(contextPages).where(and(eq(contextPages.agentId, id), eq(contextPages.purpose, 'reply'))))[0]?.n ?? 0;

/** When the agent was placed (after `since`) and first started a step on a node other than `from`. */
async function moved(id: string, from: string, since: Date, reason: string): Promise<{ placedAt: number; firstStepAt: number }> {
  return waitFor(
    async () => {
      const rows = await db.select().from(agentEvents).where(and(eq(agentEvents.agentId, id), sql`${agentEvents.createdAt} >= ${since.toISOString()}::timestamptz`)).orderBy(asc(agentEvents.seq));
      const placed = rows.find((r) => r.kind === 'agent.placed' && (r.data as { reason?: string }).reason === reason);
      const first = placed && rows.find((r) => r.seq > placed.seq && r.kind === 'step.started' && (r.data as { node?: string }).node !== from);
      return placed && first ? { placedAt: placed.createdAt.getTime(), firstStepAt: first.createdAt.getTime() } : null;
    },
    (v) => v !== null,
    120_000,
    `${id} moved off ${from}`,
  ) as Promise<{ placedAt: number; firstStepAt: number }>;
}

async function alive(ids: string[]) {
  await waitFor(async () => db.select().from(nodes).where(eq(nodes.status, 'alive')), (rows) => ids.every((id) => rows.some((r) => r.id === id)), 60_000, 'nodes alive');
}

try {
  for (const id of ['a', 'b', 'c']) workers.start({ NODE_ID: id, NODE_LEASE_MS: String(LEASE_MS) });
  await alive(['a', 'b', 'c']);

  // 1. Migrate one agent at a time, a → b.
  const migrate = { total: [] as number[], boundary: [] as number[], move: [] as number[] };
  const onA = [];
  for (let i = 0; i < count; i++) onA.push(await spawnOn('a', `mig-${i}`));
  for (const id of onA) {
    await waitFor(() => steps(id), (n) => n >= 2, 60_000, `${id} running`);
    const t0 = new Date();
    const res = await postJson(stack, `/agents/${id}/migrate`, { node: 'b' });
    if (res.status !== 202) throw new Error(`migrate failed: ${res.status}`);
    const m = await moved(id, 'a', t0, 'migrate');
    migrate.total.push(m.firstStepAt - t0.getTime());
    migrate.boundary.push(m.placedAt - t0.getTime());
    migrate.move.push(m.firstStepAt - m.placedAt);
  }

  // 2. Drain b: every agent (now on b) moves to a or c.
  const t1 = new Date();
  const drained = await postJson(stack, '/nodes/b/drain', {});
  if (drained.status !== 202) throw new Error(`drain failed: ${drained.status}`);
  const drain = await Promise.all(onA.map(async (id) => (await moved(id, 'b', t1, 'drain')).firstStepAt - t1.getTime()));

  // 3. Kill c with its agents: from SIGKILL to each agent's first step on another node.
  const onC = [];
  for (let i = 0; i < Math.max(3, Math.floor(count / 2)); i++) onC.push(await spawnOn('c', `kill-${i}`));
  for (const id of onC) await waitFor(() => steps(id), (n) => n >= 2, 60_000, `${id} running on c`);
  const victim = workers.start({ NODE_ID: 'spare', NODE_LEASE_MS: String(LEASE_MS) });
  await alive(['spare']);
  void victim;
  const cProc = (await db.select().from(nodes).where(eq(nodes.id, 'c')))[0]!;
  const pid = (cProc.capabilities as { pid: number }).pid;
  const t2 = new Date();
  process.kill(pid, 'SIGKILL');
  const kill = await Promise.all(onC.map(async (id) => (await moved(id, 'c', t2, 'node_dead')).firstStepAt - t2.getTime()));

  const result = {
    model,
    nodeLeaseMs: LEASE_MS,
    stepHeartbeatTimeoutMs: 3_000,
    migrate: { requestToFirstStepOnNewNodeMs: summarise(migrate.total), requestToBoundaryMs: summarise(migrate.boundary), boundaryToFirstStepMs: summarise(migrate.move) },
    drain: { agents: onA.length, requestToFirstStepElsewhereMs: summarise(drain) },
    nodeKilled: { agents: onC.length, killToFirstStepElsewhereMs: summarise(kill) },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${writeResult('migration', result)}`);
  for (const id of [...onA, ...onC]) await postJson(stack, `/agents/${id}/kill`, { reason: 'benchmark over' });
} finally {
  await workers.stopAll();
  await stack.stop();
}

// Exit even if a client library keeps a handle open (the results are written).
process.exit(0);
