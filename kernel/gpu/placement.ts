import { linkScore, type Topology } from './topology';
import type { GpuUnit } from './units';

/** What a piece of work needs: memory on each of `gpus` devices (default one), optionally a MIG profile. */
export interface GpuRequirement {
  memoryMiB: number;
  /** Devices, all on one node (whole GPUs when more than one: a process sees one MIG instance at most). */
  gpus?: number;
  /** A MIG profile, e.g. `1g.20gb`: only MIG instances of that profile. */
  migProfile?: string;
}

/** A unit a node offers, with what live reservations already hold on it. */
export interface UnitSlot {
  unit: GpuUnit;
  reservedMiB: number;
}

/** One device of a placement. */
export interface PlacedDevice {
  gpuIndex: number;
  device: string;
  kind: 'gpu' | 'mig';
  memoryMiB: number;
}

/** Where to run (every device on one node), or why it must wait. */
export type Placement = { ok: true; nodeId: string; devices: PlacedDevice[]; headroomMiB: number } | { ok: false; reason: string };

/** Memory a slot can still promise: the driver's free memory minus live reservations (unknown: 0). */
export function available(slot: UnitSlot): number {
  return slot.unit.freeMiB === null ? 0 : Math.max(0, slot.unit.freeMiB - slot.reservedMiB);
}

/** All k-element subsets of items, in order (k ≤ items; small here: a node has at most a few dozen GPUs). */
function* subsets<T>(items: readonly T[], k: number, start = 0, picked: T[] = []): Generator<T[]> {
  if (picked.length === k) {
    yield [...picked];
    return;
  }
  for (let i = start; i <= items.length - (k - picked.length); i++) {
    picked.push(items[i]!);
    yield* subsets(items, k, i + 1, picked);
    picked.pop();
  }
}

/**
 * Best fit, all or nothing: the node and set of `gpus` units whose available memory exceeds the need
 * by the least in total (large devices stay free for large work); among equals, the set whose GPUs
 * are most closely linked (NVLink before PCIe, from the node's topology when known), then node id
 * and device order. A single request may take a whole GPU or a MIG instance (a profile, when named,
 * must match); a multi-GPU request takes whole GPUs on one node. Nothing fitting → wait, with why.
 */
export function placeBestFit(slots: readonly UnitSlot[], need: GpuRequirement, topologies: ReadonlyMap<string, Topology | null> = new Map()): Placement {
  const count = need.gpus ?? 1;
  const eligible = slots.filter((s) => (need.migProfile ? s.unit.kind === 'mig' && s.unit.profile === need.migProfile : count === 1 || s.unit.kind === 'gpu') && available(s) >= need.memoryMiB);
  type Choice = { nodeId: string; set: UnitSlot[]; headroom: number; links: number; key: string };
  let best: Choice | undefined;
  const byNode = new Map<string, UnitSlot[]>();
  for (const s of eligible) byNode.set(s.unit.nodeId, [...(byNode.get(s.unit.nodeId) ?? []), s]);
  for (const [nodeId, units] of byNode) {
    if (units.length < count) continue;
    const ordered = [...units].sort((a, b) => available(a) - available(b) || a.unit.gpuIndex - b.unit.gpuIndex || a.unit.device.localeCompare(b.unit.device));
    // Enough to consider: with no topology the tightest units win outright; with one, look at every set.
    const sets = topologies.get(nodeId) && count > 1 && ordered.length <= 16 ? subsets(ordered, count) : [ordered.slice(0, count)];
    for (const set of sets) {
      const choice: Choice = {
        nodeId,
        set,
        headroom: set.reduce((n, s) => n + available(s) - need.memoryMiB, 0),
        links: linkScore(topologies.get(nodeId), set.map((s) => s.unit.gpuIndex)),
        key: `${nodeId}\u0000${set.map((s) => `${String(s.unit.gpuIndex).padStart(4, '0')}:${s.unit.device}`).join(',')}`,
      };
      if (!best || choice.headroom < best.headroom || (choice.headroom === best.headroom && (choice.links > best.links || (choice.links === best.links && choice.key < best.key)))) best = choice;
    }
  }
  if (!best) return { ok: false, reason: whyNot(slots, need, count) };
  return { ok: true, nodeId: best.nodeId, devices: best.set.map((s) => ({ gpuIndex: s.unit.gpuIndex, device: s.unit.device, kind: s.unit.kind, memoryMiB: need.memoryMiB })), headroomMiB: best.headroom };
}

/** The sentence a waiting agent shows: what it asked for and the most there is. */
function whyNot(slots: readonly UnitSlot[], need: GpuRequirement, count: number): string {
  if (slots.length === 0) return 'no live node has a GPU';
  const most = Math.max(0, ...slots.map(available));
  if (need.migProfile) return `no MIG instance of profile ${need.migProfile} has ${need.memoryMiB} MiB free`;
  if (count > 1) {
    const perNode = new Map<string, number>();
    for (const s of slots) if (s.unit.kind === 'gpu' && available(s) >= need.memoryMiB) perNode.set(s.unit.nodeId, (perNode.get(s.unit.nodeId) ?? 0) + 1);
    return `no node has ${count} GPUs with ${need.memoryMiB} MiB free each (the most on one node is ${Math.max(0, ...perNode.values())})`;
  }
  return `no GPU has ${need.memoryMiB} MiB free (the most available is ${most} MiB)`;
}
