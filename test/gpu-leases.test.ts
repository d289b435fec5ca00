import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { detectGpus } from '../activities/gpu/detect';
import { openDatabase, type Database } from '../db/client';
import { gpuReservations, releaseLeases, renewLease, reserveGpu } from '../db/leases';
import { markDraining, registerNode } from '../db/nodes';
import { SMI_FIXTURES } from './support/nodes';
import { createTestDatabase } from './support/postgres';

// Opening a database runs every migration: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

// Real Postgres: the advisory lock that serialises placements is what is under test.
let fresh: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;

beforeAll(async () => {
  fresh = await createTestDatabase();
  database = await openDatabase({ url: fresh.url, poolSize: 10 });
  for (const [id, file] of [['t4', 'tesla-t4-drv515-query.xml'], ['a5000s', 'rtx-a5000-x2-drv590-query.xml']] as const) {
    const { inventory } = await detectGpus(`cat ${SMI_FIXTURES}${file}`);
    await registerNode(database.db, { id, hostname: 'h', taskQueue: `q.node.${id}`, capabilities: {}, gpus: inventory! }, 60_000);
  }
});
afterAll(async () => {
  await database?.close();
  await fresh?.drop();
});

describe('GPU reservations (leases)', () => {
  test('twenty placements racing for the same GPUs never over-commit one', async () => {
    // Free: T4 13,939 MiB; A5000 #0 1,678 MiB; A5000 #1 6,862 MiB. 3,000 MiB each: 4 fit the T4, 2 the A5000 #1.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserveGpu(database.db, { agentId: `racer-${i}`, need: { memoryMiB: 3_000 }, leaseMs: 60_000 })));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(14);
    expect(refused[0]).toEqual({ ok: false, reason: 'no GPU has 3000 MiB free (the most available is 1939 MiB)' });
    const held = await gpuReservations(database.db);
    const byGpu = new Map<string, number>();
    for (const h of held) byGpu.set(`${h.nodeId}:${h.gpuIndex}`, (byGpu.get(`${h.nodeId}:${h.gpuIndex}`) ?? 0) + h.memoryMiB);
    expect(Object.fromEntries(byGpu)).toEqual({ 't4:0': 12_000, 'a5000s:1': 6_000 });
    for (let i = 0; i < 20; i++) await releaseLeases(database.db, `racer-${i}`);
    expect(await gpuReservations(database.db)).toHaveLength(0);
  });

  test('an expired lease frees its memory and cannot be renewed; a draining node takes nothing new', async () => {
    const t0 = new Date();
    const first = await reserveGpu(database.db, { agentId: 'old', need: { memoryMiB: 13_000 }, leaseMs: 1_000 }, t0);
    expect(first).toMatchObject({ ok: true, lease: { nodeId: 't4', gpuIndex: 0 } });
    expect(await reserveGpu(database.db, { agentId: 'blocked', need: { memoryMiB: 13_000 }, leaseMs: 1_000 }, new Date(t0.getTime() + 500))).toMatchObject({ ok: false });
    const later = new Date(t0.getTime() + 2_000);
    expect(await reserveGpu(database.db, { agentId: 'new', need: { memoryMiB: 13_000 }, leaseMs: 60_000 }, later)).toMatchObject({ ok: true, lease: { nodeId: 't4' } });
    expect(await renewLease(database.db, 'gpu:old', 'old', 60_000)).toBe(false);
    expect(await renewLease(database.db, 'gpu:new', 'new', 60_000)).toBe(true);
    await releaseLeases(database.db, 'new');

    expect(await markDraining(database.db, 't4')).toBe(true);
    expect(await reserveGpu(database.db, { agentId: 'after-drain', need: { memoryMiB: 5_000 }, leaseMs: 60_000 })).toMatchObject({ ok: true, lease: { nodeId: 'a5000s', gpuIndex: 1 } });
    expect(await reserveGpu(database.db, { agentId: 'too-big', need: { memoryMiB: 8_000 }, leaseMs: 60_000, avoid: ['a5000s'] })).toEqual({ ok: false, reason: 'no live node has a GPU' });
  });
});
