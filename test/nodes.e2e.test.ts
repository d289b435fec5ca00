import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { agentEvents, contextPages, leases, nodes as nodeTable, usageLedger } from '../db/schema';
import { rowsOf } from '../db/migrate';
import { agentClient } from './support/agent-client';
import { nodeProcesses, SMI_FIXTURES } from './support/nodes';
import { startTestStack } from './support/stack';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

// This suite starts real servers and several worker processes; bun's 5 s default is too short.
setDefaultTimeout(180_000);

// One dev server, one Postgres database and the API here; every node is a real `bun run worker`.
let stack: Awaited<ReturnType<typeof startTestStack>>;
let agents: ReturnType<typeof agentClient>;
const workers = nodeProcesses(() => stack);
// A 10 s lease, so a busy 2-core CI box never declares a healthy node dead; the node killed on purpose has 1.5 s.
const node = (id: string, env: Record<string, string> = {}) => workers.start({ NODE_ID: id, NODE_LEASE_MS: '10000', ...env });

beforeAll(async () => {
  stack = await startTestStack({ database: 'postgres', worker: false });
  agents = agentClient(stack);
});
// The GPU test's lease watcher; stopped before the database closes, even when the test fails.
let watching = false;
afterAll(async () => {
  watching = false;
  await workers.stopAll();
  await stack?.stop();
});

const db = () => stack.db.db;

async function aliveNodes(ids: string[]) {
  await waitFor(async () => db().select().from(nodeTable).where(and(inArray(nodeTable.id, ids), eq(nodeTable.status, 'alive'))), (rows) => rows.length === ids.length, 60_000, `nodes ${ids.join(', ')} registered`);
}

/** Which node started each step (the first attempt that completed), in order. */
async function stepNodes(agentId: string): Promise<Array<{ seq: number; step: number; kind: string; data: Record<string, unknown> }>> {
  const rows = await db().select().from(agentEvents).where(and(eq(agentEvents.agentId, agentId), inArray(agentEvents.kind, ['step.started', 'agent.placed']))).orderBy(asc(agentEvents.seq));
  return rows.map((r) => ({ seq: r.seq, step: r.step, kind: r.kind, data: r.data as Record<string, unknown> }));
}

/** Exactly one reply page and one ledger row per step, 1..steps. */
async function expectEachStepOnce(agentId: string, steps: number) {
  const replies = await db().select({ step: contextPages.step }).from(contextPages).where(and(eq(contextPages.agentId, agentId), eq(contextPages.purpose, 'reply')));
  expect(replies.map((r) => r.step).sort((a, b) => a - b)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  expect(await db().select().from(usageLedger).where(eq(usageLedger.agentId, agentId))).toHaveLength(steps);
}

async function stepOf(agentId: string): Promise<number> {
  const [row] = await db().select({ n: sql<number>`count(*)::int` }).from(contextPages).where(and(eq(contextPages.agentId, agentId), eq(contextPages.purpose, 'reply')));
  return row?.n ?? 0;
}

describe('migration between nodes', () => {
  test('a pinned agent moves to another node at its next step boundary and finishes there', async () => {
    node('mig-a');
    node('mig-b');
    await aliveNodes(['mig-a', 'mig-b']);
    const agent = await agents.spawn({ name: 'mover', model: 'scripted:10:250', placement: { node: 'mig-a' }, constraints: { maxSteps: 10 } });
    await waitFor(() => stepOf(agent.id), (n) => n >= 2, 60_000, 'two steps on mig-a');
    const res = await agents.post(`/agents/${agent.id}/migrate`, { node: 'mig-b' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ agentId: agent.id, from: 'mig-a', to: 'mig-b' });

    const done = await agents.settle(agent.id);
    expect(done).toMatchObject({ status: 'completed', step: 10, exitReason: 'final_answer', node: 'mig-b' });
    await expectEachStepOnce(agent.id, 10);
    const events = await stepNodes(agent.id);
    const moved = events.findIndex((e) => e.kind === 'agent.placed' && e.data.reason === 'migrate');
    expect(moved).toBeGreaterThan(0);
    const before = events.slice(0, moved).filter((e) => e.kind === 'step.started');
    const after = events.slice(moved + 1).filter((e) => e.kind === 'step.started');
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(new Set(before.map((e) => e.data.node))).toEqual(new Set(['mig-a']));
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((e) => e.data.node))).toEqual(new Set(['mig-b']));
  });

  test('bad moves are refused with a problem, and nothing changes', async () => {
    const agent = await agents.spawn({ name: 'stayer', model: 'scripted:2', placement: { node: 'mig-a' }, constraints: { maxSteps: 2 } });
    const unknown = await agents.post(`/agents/${agent.id}/migrate`, { node: 'no-such-node' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain('no node with id "no-such-node"');
    await agents.settle(agent.id);
    const finished = await agents.post(`/agents/${agent.id}/migrate`, { node: 'mig-b' });
    expect(finished.status).toBe(409);
    expect((await agents.post('/agents', { role: 'r', goal: 'g', input: 'x', name: 'nowhere', placement: { node: 'no-such-node' } })).status).toBe(404);
    expect((await agents.post('/nodes/no-such-node/drain', {})).status).toBe(404);
  });

  test('draining a node under load moves every agent off it, spread over the others, no step lost or repeated', async () => {
    node('mig-c');
    await aliveNodes(['mig-a', 'mig-b', 'mig-c']);
    const spawned = [];
    for (let i = 0; i < 6; i++) spawned.push(await agents.spawn({ name: `drained-${i}`, model: 'scripted:8:250', placement: { node: 'mig-a' }, constraints: { maxSteps: 8 } }));
    const ids = spawned.map((a) => a.id);
    for (const id of ids) await waitFor(() => stepOf(id), (n) => n >= 1, 60_000, `${id} running on mig-a`);

    const res = await agents.post('/nodes/mig-a/drain', {});
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; moving: Array<{ agentId: string; to: string | null }> };
    expect(body.status).toBe('draining');
    expect(body.moving.map((m) => m.agentId).sort()).toEqual([...ids].sort());
    // Spread: both remaining nodes take some.
    expect(new Set(body.moving.map((m) => m.to))).toEqual(new Set(['mig-b', 'mig-c']));
    // A drained node takes no shared work either, at once — not at its next heartbeat (a third of its
    // 10 s lease later): an unpinned agent spawned now runs elsewhere.
    await Bun.sleep(300);
    const free = await agents.spawn({ name: 'unpinned-after-drain', model: 'scripted:6:50', constraints: { maxSteps: 6 } });

    for (const id of ids) {
      const done = await agents.settle(id);
      expect(done).toMatchObject({ status: 'completed', step: 8 });
      expect(['mig-b', 'mig-c']).toContain(done.node ?? 'none');
      await expectEachStepOnce(id, 8);
      const events = await stepNodes(id);
      const drained = events.findIndex((e) => e.kind === 'agent.placed' && e.data.reason === 'drain');
      expect(drained).toBeGreaterThan(0);
      const after = events.slice(drained + 1).filter((e) => e.kind === 'step.started').map((e) => e.data.node);
      expect(after.length).toBeGreaterThan(0);
      expect(after).not.toContain('mig-a');
    }
    const [a] = await db().select().from(nodeTable).where(eq(nodeTable.id, 'mig-a'));
    expect(a?.status).toBe('draining');
    expect(await agents.settle(free.id)).toMatchObject({ status: 'completed', step: 6 });
    expect((await stepNodes(free.id)).filter((e) => e.kind === 'step.started').map((e) => e.data.node)).not.toContain('mig-a');
  });
});

describe('undrain', () => {
  /** Waits until every node has heartbeated since `since`, so each has acted on its status. */
  async function heardFrom(ids: string[], since: Date) {
    await waitFor(async () => db().select().from(nodeTable).where(inArray(nodeTable.id, ids)), (rows) => rows.length === ids.length && rows.every((r) => r.heartbeatAt > since), 30_000, `heartbeats from ${ids.join(', ')}`);
  }

  test('a drained node returns to service and takes shared work again; bad undrains are refused', async () => {
    // Still draining from the test before: new agents may not be pinned to it.
    expect((await agents.post('/agents', { role: 'r', goal: 'g', input: 'x', name: 'onto-drained', placement: { node: 'mig-a' } })).status).toBe(409);
    const res = await agents.post('/nodes/mig-a/undrain', {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ node: 'mig-a', status: 'alive' });
    const again = await agents.post('/nodes/mig-a/undrain', {});
    expect(again.status).toBe(409);
    expect(((await again.json()) as { detail: string }).detail).toContain('node mig-a is alive');
    expect((await agents.post('/nodes/no-such-node/undrain', {})).status).toBe(404);

    // With the other two drained, only mig-a polls the shared queues: an unpinned agent must run there.
    const since = new Date();
    for (const id of ['mig-b', 'mig-c']) expect((await agents.post(`/nodes/${id}/drain`, {})).status).toBe(202);
    await heardFrom(['mig-a', 'mig-b', 'mig-c'], since);
    const free = await agents.spawn({ name: 'after-undrain', model: 'scripted:3:50', constraints: { maxSteps: 3 } });
    expect(await agents.settle(free.id)).toMatchObject({ status: 'completed', step: 3 });
    const ran = (await stepNodes(free.id)).filter((e) => e.kind === 'step.started').map((e) => e.data.node);
    expect(ran.length).toBe(3);
    expect(new Set(ran)).toEqual(new Set(['mig-a']));

    const back = new Date();
    for (const id of ['mig-b', 'mig-c']) expect((await agents.post(`/nodes/${id}/undrain`, {})).status).toBe(200);
    await heardFrom(['mig-b', 'mig-c'], back);
    const rows = await db().select().from(nodeTable).where(inArray(nodeTable.id, ['mig-a', 'mig-b', 'mig-c']));
    expect(rows.map((r) => r.status)).toEqual(['alive', 'alive', 'alive']);
  });
});

describe('a node killed with SIGKILL', () => {
  test('its pinned agents are adopted by a live node and finish elsewhere, each step exactly once', async () => {
    const doomed = node('doomed', { NODE_LEASE_MS: '1500' });
    await aliveNodes(['doomed', 'mig-b', 'mig-c']);
    const spawned = [];
    for (let i = 0; i < 3; i++) spawned.push(await agents.spawn({ name: `orphan-${i}`, model: 'scripted:8:500', placement: { node: 'doomed' }, constraints: { maxSteps: 8, stepTimeoutMs: 3_000 } }));
    const ids = spawned.map((a) => a.id);
    for (const id of ids) await waitFor(() => stepOf(id), (n) => n >= 2, 60_000, `${id} two steps on the doomed node`);
    await doomed.kill();

    for (const id of ids) {
      const done = await agents.settle(id);
      expect(done).toMatchObject({ status: 'completed', step: 8, exitReason: 'final_answer' });
      expect(done.node).not.toBe('doomed');
      await expectEachStepOnce(id, 8);
      const events = await stepNodes(id);
      const adopted = events.findIndex((e) => e.kind === 'agent.placed' && e.data.reason === 'node_dead');
      expect(adopted).toBeGreaterThan(0);
      expect(events.slice(adopted + 1).filter((e) => e.kind === 'step.started').map((e) => e.data.node)).not.toContain('doomed');
    }
    const [row] = await db().select().from(nodeTable).where(eq(nodeTable.id, 'doomed'));
    expect(row?.status).toBe('dead');
    // The adoption lease was released once the agents had left.
    await waitFor(async () => db().select().from(leases).where(eq(leases.resource, 'adopt:doomed')), (r) => r.length === 0, 30_000, 'adoption lease released');
  });
});

describe('GPU placement', () => {
  test('work is placed best-fit with leases, never over-commits, waits (not fails) when nothing fits, and frees GPUs when it ends', async () => {
    node('gpu-t4', { NVIDIA_SMI_COMMAND: `cat ${SMI_FIXTURES}tesla-t4-drv515-query.xml` }); // 13,939 MiB free
    // (The V100 capture has retired pages pending: it is never offered. The H100 is healthy.)
    node('gpu-h100', { NVIDIA_SMI_COMMAND: `cat ${SMI_FIXTURES}h100-80gb-hbm3-drv590-query-gpu-load.csv` }); // 61,263 MiB free
    await aliveNodes(['gpu-t4', 'gpu-h100']);
    const free: Record<string, number> = { 'gpu-t4': 13_939, 'gpu-h100': 61_263 };
    let overCommitted: string | null = null;
    watching = true;
    const watcher = (async () => {
      while (watching) {
        const rows = rowsOf<{ node: string; gpu: number; mib: number }>(await db().execute(sql`select data->>'nodeId' as node, (data->>'gpuIndex')::int as gpu, sum((data->>'memoryMiB')::int)::int as mib from leases where data->>'kind' = 'gpu' and expires_at > now() group by 1, 2`));
        for (const r of rows) if (r.mib > (free[r.node] ?? 0)) overCommitted = `${r.node}:${r.gpu} holds ${r.mib} MiB`;
        await Bun.sleep(100);
      }
    })();

    const gpu = (name: string, mib: number, steps: number) => agents.spawn({ name, model: `scripted:${steps}:300`, placement: { gpuMemoryMiB: mib }, constraints: { maxSteps: steps } });
    const big = await gpu('needs-50g', 50_000, 4); // only the H100 has room
    await agents.until(big.id, (v) => v.node === 'gpu-h100', 'big placed on the H100', 30_000);
    const mid = await gpu('needs-10g', 10_000, 4); // best fit: the H100's 11,263 left beats the T4's 13,939
    const small = await gpu('needs-13g', 13_000, 3); // the H100 is now too full: the T4
    const huge = await gpu('needs-70g', 70_000, 2); // fits nowhere: waits
    const later = await gpu('needs-55g', 55_000, 2); // fits once the H100 is free again

    const hugeView = await agents.until(huge.id, (v) => v.status === 'waiting' && v.hold === 'placement', 'the 40 GB agent waits', 30_000);
    expect(hugeView.holdDetail).toContain('no GPU has 70000 MiB free');
    const finished = (id: string) => agents.until(id, (v) => ['completed', 'failed', 'terminated'].includes(v.status), 'finished', 90_000);
    for (const a of [big, mid, small]) expect(await finished(a.id)).toMatchObject({ status: 'completed' });
    expect(await agents.get(mid.id)).toMatchObject({ node: 'gpu-h100' });
    expect(await agents.get(small.id)).toMatchObject({ node: 'gpu-t4' });
    const placedLater = await finished(later.id);
    expect(placedLater).toMatchObject({ status: 'completed', step: 2 });
    expect(placedLater).toMatchObject({ node: 'gpu-h100' });
    // The one that fits nowhere is still waiting, not failed; a kill ends it and frees nothing it never held.
    expect(await agents.get(huge.id)).toMatchObject({ status: 'waiting', hold: 'placement' });
    expect((await agents.post(`/agents/${huge.id}/kill`, { reason: 'test over' })).status).toBe(202);
    expect(await finished(huge.id)).toMatchObject({ status: 'terminated' });

    watching = false;
    await watcher;
    expect(overCommitted).toBeNull();
    expect(await db().select().from(leases).where(sql`${leases.data}->>'kind' = 'gpu'`)).toHaveLength(0);
    const nodesView = (await (await rootFetch(`${stack.apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; gpus: { gpus: unknown[] }; reservations: unknown[] }> };
    expect(nodesView.nodes.find((n) => n.id === 'gpu-h100')?.gpus.gpus).toHaveLength(1);
  });

  test('device binding: two agents on one node get different GPUs, each sees only its own as CUDA_VISIBLE_DEVICES; a two-GPU request gets both or waits', async () => {
    // Two RTX A5000s (1,678 and 6,862 MiB free), as their nvidia-smi reported them.
    node('gpu-a5000s', { NVIDIA_SMI_COMMAND: `cat ${SMI_FIXTURES}rtx-a5000-x2-drv590-query.xml` });
    await aliveNodes(['gpu-a5000s']);
    const uuids = ((await (await rootFetch(`${stack.apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; gpus: { gpus: Array<{ uuid: string }> } }> }).nodes.find((n) => n.id === 'gpu-a5000s')!.gpus.gpus.map((g) => g.uuid);
    const printDevices = 'CALL run_code {"language":"javascript","code":"console.log(\'devices=\' + process.env.CUDA_VISIBLE_DEVICES)"}';
    const spawnOn = (name: string, placement: Record<string, unknown>) => agents.spawn({ name, model: 'scripted:3:1000', tools: ['run_code'], input: printDevices, placement: { node: 'gpu-a5000s', ...placement }, constraints: { maxSteps: 3 } });
    const first = await spawnOn('devices-a', { gpuMemoryMiB: 1_500 }); // best fit: GPU 0 (178 MiB to spare)
    await agents.until(first.id, (v) => v.node === 'gpu-a5000s', 'the first placed', 30_000);
    const second = await spawnOn('devices-b', { gpuMemoryMiB: 1_500 }); // GPU 0 is full now: GPU 1
    const seen: string[] = [];
    for (const a of [first, second]) {
      expect((await agents.settle(a.id)).status).toBe('completed');
      const [call] = await db().select({ result: contextPages.body }).from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.kind, 'tool_result')));
      const m = /devices=(\S+)/.exec(call!.result);
      seen.push(m![1]!);
      // The step saw them too (its started event).
      const started = (await stepNodes(a.id)).find((e) => e.kind === 'step.started');
      expect(started!.data.devices).toEqual([m![1]]);
    }
    expect(seen).toEqual([uuids[0]!, uuids[1]!]);

    // Both GPUs at once, 1,000 MiB each: one lease for both, and the process sees both.
    const pair = await spawnOn('devices-pair', { gpuMemoryMiB: 1_000, gpus: 2 });
    expect((await agents.settle(pair.id)).status).toBe('completed');
    const [pairCall] = await db().select({ result: contextPages.body }).from(contextPages).where(and(eq(contextPages.agentId, pair.id), eq(contextPages.kind, 'tool_result')));
    expect(pairCall!.result).toContain(`devices=${uuids[0]},${uuids[1]}`);
    // Three GPUs do not exist on one node: it waits, never a partial lease.
    const three = await spawnOn('devices-three', { gpuMemoryMiB: 100, gpus: 3 });
    const waiting = await agents.until(three.id, (v) => v.hold === 'placement', 'the three-GPU agent to wait', 30_000);
    expect(waiting.holdDetail).toContain('no node has 3 GPUs');
    expect((await db().select().from(leases).where(eq(leases.holder, three.id)))).toHaveLength(0);
    expect((await agents.post(`/agents/${three.id}/kill`, { reason: 'test over' })).status).toBe(202);
  });

  test('a GPU reservation that lapses is noticed by the next step, and the agent is placed again and finishes', async () => {
    await aliveNodes(['gpu-t4', 'gpu-h100']);
    const a = await agents.spawn({ name: 'lapsing', model: 'scripted:6:400', placement: { gpuMemoryMiB: 5_000 }, constraints: { maxSteps: 6 } });
    const resource = `gpu:${a.id}`;
    await waitFor(() => db().select().from(leases).where(eq(leases.resource, resource)), (rows) => rows.length === 1, 30_000, 'the first reservation');
    await waitFor(() => stepOf(a.id), (n) => n >= 1, 30_000, 'a first step');
    // Paused, no step renews the reservation while it lapses.
    expect((await agents.post(`/agents/${a.id}/pause`, {})).status).toBe(202);
    await agents.until(a.id, (v) => v.status === 'suspended', 'paused', 30_000);
    // The lease lapses (as if no step had renewed it for GPU_LEASE_MS), and the next placement — another
    // agent's — releases it, as placement releases every lapsed reservation before it counts free memory.
    await db().update(leases).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(leases.resource, resource));
    const other = await agents.spawn({ name: 'reaper', model: 'scripted:1', placement: { gpuMemoryMiB: 1_000 } });
    await agents.settle(other.id);
    expect(await db().select().from(leases).where(eq(leases.resource, resource))).toHaveLength(0);
    expect((await agents.post(`/agents/${a.id}/resume`, {})).status).toBe(202);
    const placed = await waitFor(
      async () => (await stepNodes(a.id)).filter((e) => e.kind === 'agent.placed'),
      (events) => events.some((e) => e.data.reason === 'gpu_lease_lost'),
      30_000,
      'a placement for the lost lease',
    );
    expect(placed.find((e) => e.data.reason === 'gpu_lease_lost')?.data.gpu).toMatchObject({ memoryMiB: 5_000 });
    expect(await agents.settle(a.id)).toMatchObject({ status: 'completed', step: 6 });
    await expectEachStepOnce(a.id, 6);
    expect(await db().select().from(leases).where(eq(leases.resource, resource))).toHaveLength(0);
  });
});
