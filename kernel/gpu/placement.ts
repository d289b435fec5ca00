import type { GpuInfo } from './types';

/** A GPU a node offers, with what is already reserved on it. */
export interface GpuSlot {
  nodeId: string;
  gpu: Pick<GpuInfo, 'index' | 'uuid' | 'name' | 'memoryTotalMiB' | 'memoryUsedMiB' | 'memoryFreeMiB'>;
  /** MiB held by live reservations that the driver may not show as used yet. */
  reservedMiB: number;
}

/** What a piece of work needs. */
export interface GpuRequirement {
  memoryMiB: number;
}

/** Where to run, or why it must wait. */
export type Placement = { ok: true; nodeId: string; gpuIndex: number; gpuUuid: string | null; headroomMiB: number } | { ok: false; reason: string };

/** Free memory a slot can still promise: the driver's free memory minus live reservations. */
export function available(slot: GpuSlot): number {
  const free = slot.gpu.memoryFreeMiB ?? (slot.gpu.memoryTotalMiB !== null && slot.gpu.memoryUsedMiB !== null ? slot.gpu.memoryTotalMiB - slot.gpu.memoryUsedMiB : null);
  return free === null ? 0 : Math.max(0, free - slot.reservedMiB);
}

/**
 * Best fit: the GPU whose available memory exceeds the requirement by the least (ties: node id,
 * then index), so large GPUs stay free for large work. No fitting GPU → wait, with the reason.
 * A GPU whose free memory is unknown is never chosen (it cannot be promised).
 */
export function placeBestFit(slots: readonly GpuSlot[], need: GpuRequirement): Placement {
  let best: { slot: GpuSlot; headroom: number } | undefined;
  for (const slot of slots) {
    const headroom = available(slot) - need.memoryMiB;
    if (headroom < 0) continue;
    if (!best || headroom < best.headroom || (headroom === best.headroom && (slot.nodeId < best.slot.nodeId || (slot.nodeId === best.slot.nodeId && slot.gpu.index < best.slot.gpu.index)))) {
      best = { slot, headroom };
    }
  }
  if (!best) {
    const most = Math.max(0, ...slots.map(available));
    return { ok: false, reason: slots.length === 0 ? 'no live node has a GPU' : `no GPU has ${need.memoryMiB} MiB free (the most available is ${most} MiB)` };
  }
  return { ok: true, nodeId: best.slot.nodeId, gpuIndex: best.slot.gpu.index, gpuUuid: best.slot.gpu.uuid, headroomMiB: best.headroom };
}
