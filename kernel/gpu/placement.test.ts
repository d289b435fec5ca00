import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { available, placeBestFit, type UnitSlot } from './placement';
import { parseTopology } from './topology';
import type { GpuUnit } from './units';

const unit = (nodeId: string, gpuIndex: number, freeMiB: number | null, extra: Partial<GpuUnit> = {}): GpuUnit => ({ nodeId, gpuIndex, device: `GPU-${nodeId}-${gpuIndex}`, kind: 'gpu', profile: null, freeMiB, ...extra });
const slot = (u: GpuUnit, reservedMiB = 0): UnitSlot => ({ unit: u, reservedMiB });

describe('GPU placement', () => {
  test('best fit picks the unit with the least room to spare', () => {
    const slots = [slot(unit('a', 0, 20_000)), slot(unit('b', 0, 9_000)), slot(unit('b', 1, 12_000))];
    expect(placeBestFit(slots, { memoryMiB: 8_000 })).toEqual({ ok: true, nodeId: 'b', devices: [{ gpuIndex: 0, device: 'GPU-b-0', kind: 'gpu', memoryMiB: 8_000 }], headroomMiB: 1_000 });
  });

  test('reservations count against free memory, so a unit is never over-committed', () => {
    const slots = [slot(unit('a', 0, 20_000), 15_000)];
    expect(placeBestFit(slots, { memoryMiB: 6_000 })).toEqual({ ok: false, reason: 'no GPU has 6000 MiB free (the most available is 5000 MiB)' });
    expect(placeBestFit(slots, { memoryMiB: 5_000 }).ok).toBe(true);
  });

  test('unknown free memory is never promised; no GPUs means wait', () => {
    expect(placeBestFit([slot(unit('a', 0, null))], { memoryMiB: 1 }).ok).toBe(false);
    expect(placeBestFit([], { memoryMiB: 1 })).toEqual({ ok: false, reason: 'no live node has a GPU' });
  });

  test('multi-GPU: all on one node or nothing; MIG instances are not combined', () => {
    const slots = [slot(unit('a', 0, 40_000)), slot(unit('a', 1, 1_000)), slot(unit('b', 0, 30_000)), slot(unit('b', 1, 30_000)), slot(unit('c', 0, 70_000, { kind: 'mig', device: 'MIG-1' })), slot(unit('c', 1, 70_000, { kind: 'mig', device: 'MIG-2' }))];
    const two = placeBestFit(slots, { memoryMiB: 20_000, gpus: 2 });
    expect(two).toMatchObject({ ok: true, nodeId: 'b' });
    expect(two.ok && two.devices.map((d) => d.device)).toEqual(['GPU-b-0', 'GPU-b-1']);
    expect(placeBestFit(slots, { memoryMiB: 20_000, gpus: 3 })).toEqual({ ok: false, reason: 'no node has 3 GPUs with 20000 MiB free each (the most on one node is 2)' });
  });

  test('a MIG profile request takes only an instance of that profile', () => {
    const slots = [slot(unit('a', 0, 80_000)), slot(unit('a', 1, 19_955, { kind: 'mig', device: 'MIG-small', profile: '1g.20gb' })), slot(unit('a', 1, 39_000, { kind: 'mig', device: 'MIG-big', profile: '3g.40gb' }))];
    expect(placeBestFit(slots, { memoryMiB: 10_000, migProfile: '3g.40gb' })).toMatchObject({ ok: true, devices: [{ device: 'MIG-big', kind: 'mig' }] });
    expect(placeBestFit(slots, { memoryMiB: 10_000 })).toMatchObject({ ok: true, devices: [{ device: 'MIG-small' }] }); // best fit over instances and whole GPUs
    expect(placeBestFit(slots, { memoryMiB: 10_000, migProfile: '7g.80gb' })).toEqual({ ok: false, reason: 'no MIG instance of profile 7g.80gb has 10000 MiB free' });
  });

  test('topology breaks ties: of four idle GPUs, the NVLinked pair', () => {
    const topo = parseTopology(`\tGPU0\tGPU1\tGPU2\tGPU3\tCPU Affinity\tNUMA Affinity
GPU0\t X \tPHB\tSYS\tSYS\t0-15\t0
GPU1\tPHB\t X \tSYS\tSYS\t0-15\t0
GPU2\tSYS\tSYS\t X \tNV4\t16-31\t1
GPU3\tSYS\tSYS\tNV4\t X \t16-31\t1

Legend:

  X    = Self
  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)
  NV#  = Connection traversing a bonded set of # NVLinks`);
    expect(topo?.[2]?.[3]).toBeGreaterThan(topo?.[0]?.[1] ?? 0);
    const slots = [0, 1, 2, 3].map((i) => slot(unit('n', i, 16_000)));
    const placed = placeBestFit(slots, { memoryMiB: 8_000, gpus: 2 }, new Map([['n', topo]]));
    expect(placed.ok && placed.devices.map((d) => d.gpuIndex)).toEqual([2, 3]);
    // Without a topology: the first pair in order.
    const plain = placeBestFit(slots, { memoryMiB: 8_000, gpus: 2 });
    expect(plain.ok && plain.devices.map((d) => d.gpuIndex)).toEqual([0, 1]);
    expect(parseTopology('no GPUs here')).toBeNull();
  });

  test('property: placing requests one after another never over-commits a unit, and a placement is all its GPUs on one node or nothing', () => {
    const unitArb = fc.record({ node: fc.constantFrom('a', 'b', 'c'), free: fc.option(fc.integer({ min: 0, max: 80_000 }), { nil: null }), mig: fc.boolean() });
    const requestArb = fc.record({ memoryMiB: fc.integer({ min: 1, max: 60_000 }), gpus: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(fc.array(unitArb, { maxLength: 12 }), fc.array(requestArb, { maxLength: 20 }), (units, requests) => {
        const slots = units.map((u, i) => slot(unit(u.node, i, u.free, u.mig ? { kind: 'mig', device: `MIG-${i}` } : {})));
        for (const r of requests) {
          const placed = placeBestFit(slots, r);
          if (!placed.ok) continue;
          expect(placed.devices).toHaveLength(r.gpus);
          expect(new Set(placed.devices.map((d) => d.device)).size).toBe(r.gpus);
          if (r.gpus > 1) expect(placed.devices.every((d) => d.kind === 'gpu')).toBe(true);
          for (const d of placed.devices) {
            const s = slots.find((x) => x.unit.device === d.device)!;
            expect(s.unit.nodeId).toBe(placed.nodeId);
            expect(available(s)).toBeGreaterThanOrEqual(r.memoryMiB);
            s.reservedMiB += r.memoryMiB;
          }
        }
        for (const s of slots) if (s.reservedMiB > 0) expect(s.reservedMiB).toBeLessThanOrEqual(s.unit.freeMiB ?? 0);
      }),
      { numRuns: 300 },
    );
  });
});
