import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { detectGpus } from '../activities/gpu/detect';
import { openDatabase } from '../db/client';
import { heartbeat, reapDeadNodes, registerNode } from '../db/nodes';
import { nodes } from '../db/schema';
import { createLogger } from '../infra/logger';
import { startPresence } from '../infra/node-presence';
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
    expect(xml.inventory.gpus.map((g) => g.name)).toEqual(['NVIDIA RTX A5000', 'NVIDIA RTX A5000']);
    const csv = await detectGpus(`cat ${fixtures}h100-80gb-hbm3-drv590-query-gpu-load.csv`);
    expect(csv.inventory.gpus[0]!.memoryTotalMiB).toBe(81559);
  });

  test('no binary, a failing command or garbage output mean no GPUs, with the reason', async () => {
    expect(await detectGpus('nvidia-smi-does-not-exist -q -x')).toEqual({ inventory: { driverVersion: null, gpus: [] }, error: 'nvidia-smi-does-not-exist is not installed' });
    expect((await detectGpus('false')).error).toContain('exited 1');
    expect((await detectGpus(`cat ${fixtures}SOURCES.md`)).error).toContain('not nvidia-smi');
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
    const stop = await startPresence(database.db, { nodeId: 'gpu-node', taskQueue: 'q.node.gpu-node', leaseMs: 300, smiCommand: `cat ${fixtures}tesla-t4-drv515-query.xml` }, createLogger('silent'));
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
