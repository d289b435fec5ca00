import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { detectGpus } from '../activities/gpu/detect';
import { openDatabase } from '../db/client';
import { heartbeat, reapDeadNodes, registerNode } from '../db/nodes';
import { nodes } from '../db/schema';
import { createLogger } from '../infra/logger';
import { startPresence } from '../infra/node-presence';
import { gpuReservations, reserveGpu } from '../db/leases';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestStack } from './support/stack';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const fixtures = new URL('../../shared/fixtures/nvidia-smi/', import.meta.url).pathname;
const database = await openDatabase({ pgliteDir: 'memory://' });
afterAll(() => database.close());

describe('GPU detection by running the configured command', () => {
  test('XML and CSV outputs, from a real command', async () => {
    const xml = await detectGpus(`cat ${fixtures}rtx-a5000-x2-drv590-query.xml`);
    expect(xml.error).toBeNull();
    expect(xml.inventory!.gpus.map((g) => g.name)).toEqual(['NVIDIA RTX A5000', 'NVIDIA RTX A5000']);
    const csv = await detectGpus(`cat ${fixtures}h100-80gb-hbm3-drv590-query-gpu-load.csv`);
    expect(csv.inventory!.gpus[0]!.memoryTotalMiB).toBe(81559);
  });

  test('no binary is "no GPUs"; a failing command or unreadable output is an error naming the command', async () => {
    expect(await detectGpus('nvidia-smi-does-not-exist -q -x')).toEqual({ inventory: null, error: 'nvidia-smi-does-not-exist is not installed', absent: true });
    expect(await detectGpus('false')).toMatchObject({ inventory: null, absent: false, error: expect.stringContaining('false exited 1') });
    expect((await detectGpus(`cat ${fixtures}SOURCES.md`)).error).toBe(`cat ${fixtures}SOURCES.md: it is not nvidia-smi CSV: the header names no GPU fields (name, uuid, index or memory.total)`);
  });
});

describe('a live GPU inventory (a fake nvidia-smi whose output changes between heartbeats)', () => {
  test('memory others take is not offered; a GPU that vanishes loses its leases; unreadable output keeps the last inventory and says degraded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aok-smi-'));
    const file = join(dir, 'smi.xml');
    const command = `cat ${file}`;
    const both = readFileSync(`${fixtures}rtx-a5000-x2-drv590-query.xml`, 'utf8');
    // GPU 1 (6,862 MiB free) is the best fit for 4,000 MiB; GPU 0 has 1,678 free.
    writeFileSync(file, both);
    const stop = await startPresence(database.db, { nodeId: 'live', taskQueue: 'q.node.live', leaseMs: 600, smiCommand: command, gpuIntervalMs: 150 }, createLogger('silent'));
    const row = async () => (await database.db.select().from(nodes).where(eq(nodes.id, 'live')))[0]!;
    const until = async (what: string, ok: (r: Awaited<ReturnType<typeof row>>) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const r = await row();
        if (ok(r)) return r;
        await Bun.sleep(50);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    try {
      const placed = await reserveGpu(database.db, { agentId: 'on-gpu1', need: { memoryMiB: 4_000 }, leaseMs: 60_000, only: 'live' });
      expect(placed).toMatchObject({ ok: true, lease: { gpuIndex: 1 } });

      // Another process takes 5,000 MiB of GPU 1: what is offered shrinks (6,862 − 5,000 − our 4,000 < 0).
      writeFileSync(file, both.replace('<used>17253 MiB</used>\n\t\t\t<free>6862 MiB</free>', '<used>22253 MiB</used>\n\t\t\t<free>1862 MiB</free>'));
      await until('the new free memory', (r) => JSON.stringify(r.gpus).includes('1862'));
      expect(await reserveGpu(database.db, { agentId: 'another', need: { memoryMiB: 1_000 }, leaseMs: 60_000, only: 'live' })).toMatchObject({ ok: true, lease: { gpuIndex: 0 } });

      // GPU 1 vanishes: the lease on it is released (its agent is placed again at its next step).
      writeFileSync(file, both.slice(0, both.indexOf('\t<gpu id="00000000:C1:00.0">')) + both.slice(both.lastIndexOf('\t</gpu>') + '\t</gpu>'.length));
      const one = await until('one GPU', (r) => (r.gpus as { gpus: unknown[] }).gpus.length === 1);
      expect(one.capabilities).toMatchObject({ gpuCount: 1, gpuStatus: { state: 'ok', error: null } });
      expect((await gpuReservations(database.db)).map((r) => r.holder)).toEqual(['another']);

      // Output cut off: the last good inventory stays, the node says it is degraded and why.
      writeFileSync(file, both.slice(0, 5_000));
      const degraded = await until('degraded', (r) => (r.capabilities as { gpuStatus?: { state: string } }).gpuStatus?.state === 'degraded');
      expect((degraded.capabilities as { gpuStatus: { error: string } }).gpuStatus.error).toMatch(new RegExp(`^cat ${file}: its XML is not well-formed at line \\d+: .*\\(the output looks cut off\\)$`));
      expect((degraded.gpus as { gpus: unknown[] }).gpus).toHaveLength(1);
      expect((await gpuReservations(database.db)).map((r) => r.holder)).toEqual(['another']);
      // A degraded node takes no new GPU work (what it last read may no longer be true).
      const refused = await reserveGpu(database.db, { agentId: 'new', need: { memoryMiB: 10 }, leaseMs: 60_000, only: 'live' });
      expect(refused).toMatchObject({ ok: false, reason: expect.stringContaining('node live: its GPUs could not be read') });
    } finally {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('node registry', () => {
  const announce = (id: string) => ({ id, hostname: 'h', taskQueue: `q.node.${id}`, capabilities: {}, gpus: { driverVersion: null, gpus: [] } });

  test('a node whose lease lapses is declared dead; its next heartbeat is refused until it re-registers', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    await registerNode(database.db, announce('n1'), 1_000, t0);
    await registerNode(database.db, announce('n2'), 1_000, t0);
    expect(await heartbeat(database.db, 'n2', 1_000, new Date(t0.getTime() + 900))).toBe('alive');
    expect(await reapDeadNodes(database.db, new Date(t0.getTime() + 1_500))).toEqual(['n1']);
    expect(await heartbeat(database.db, 'n1', 1_000, new Date(t0.getTime() + 1_600))).toBeNull();
    await registerNode(database.db, announce('n1'), 1_000, new Date(t0.getTime() + 1_700));
    const [row] = await database.db.select().from(nodes).where(eq(nodes.id, 'n1'));
    expect(row!.status).toBe('alive');
  });

  test('presence registers the node with its GPUs, keeps the lease fresh, and deregisters on stop', async () => {
    const stop = await startPresence(database.db, { nodeId: 'gpu-node', taskQueue: 'q.node.gpu-node', leaseMs: 300, smiCommand: `cat ${fixtures}tesla-t4-drv515-query.xml`, gpuIntervalMs: 60_000 }, createLogger('silent'));
    const [first] = await database.db.select().from(nodes).where(eq(nodes.id, 'gpu-node'));
    expect(first!.capabilities).toMatchObject({ gpu: true, gpuCount: 1 });
    expect((first!.gpus as { gpus: Array<{ name: string }> }).gpus[0]!.name).toBe('Tesla T4');
    await Bun.sleep(700);
    const [later] = await database.db.select().from(nodes).where(eq(nodes.id, 'gpu-node'));
    expect(later!.status).toBe('alive');
    expect(later!.heartbeatAt.getTime()).toBeGreaterThan(first!.heartbeatAt.getTime());
    await stop();
    const [stopped] = await database.db.select().from(nodes).where(eq(nodes.id, 'gpu-node'));
    expect(stopped!.status).toBe('stopped');
  });
});

test('every worker is a node: GET /nodes lists it with its own task queue', async () => {
  const stack = await startTestStack({ database: 'pglite', env: { NODE_ID: 'node-under-test', NVIDIA_SMI_COMMAND: `cat ${fixtures}a100-sxm4-80gb-mig-drv535-query.xml` } });
  try {
    const { nodes: listed } = (await (await rootFetch(`${stack.apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; status: string; taskQueue: string; capabilities: { gpuCount: number } }> };
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: 'node-under-test', status: 'alive', taskQueue: `${stack.config.TASK_QUEUE}.node.node-under-test`, capabilities: { gpuCount: 1 } });
    expect(stack.node!.workers.map((w) => w.options.taskQueue)).toContain(`${stack.config.TASK_QUEUE}.node.node-under-test`);
  } finally {
    await stack.stop();
  }
});
