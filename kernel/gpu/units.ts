import type { GpuInventory } from './types';

/** One thing a node can lease: a whole GPU, or a MIG instance of a GPU in MIG mode. */
export interface GpuUnit {
  nodeId: string;
  gpuIndex: number;
  /** What `CUDA_VISIBLE_DEVICES` names: the GPU's UUID (its index when it has none), or the MIG instance's UUID (`MIG-<GPU UUID>/<GI>/<CI>` when the driver lists none). */
  device: string;
  kind: 'gpu' | 'mig';
  /** A MIG instance's profile (`1g.20gb`); null for a whole GPU or when unknown. */
  profile: string | null;
  /** Memory the unit could still give: the driver's free memory (unknown: null, never promised). */
  freeMiB: number | null;
}

/** The device id of a MIG instance. */
function migDevice(gpuUuid: string | null, gpuIndex: number, d: { uuid?: string | null; gpuInstanceId?: number | null; computeInstanceId?: number | null; index: number | null }): string {
  if (d.uuid) return d.uuid;
  return `MIG-${gpuUuid ?? `GPU${gpuIndex}`}/${d.gpuInstanceId ?? d.index ?? 0}/${d.computeInstanceId ?? 0}`;
}

/**
 * The units a node offers: each healthy GPU whole, except that a GPU in MIG mode offers its MIG
 * instances instead (its parent memory, which no process can use whole, never); a GPU with
 * problems (ECC, retired or remapped pages pending) offers nothing.
 */
export function unitsOf(nodeId: string, inventory: GpuInventory): GpuUnit[] {
  return inventory.gpus.flatMap((g): GpuUnit[] => {
    if ((g.problems ?? []).length > 0) return [];
    if (g.migEnabled) {
      return g.migDevices.map((d) => ({
        nodeId,
        gpuIndex: g.index,
        device: migDevice(g.uuid, g.index, d),
        kind: 'mig',
        profile: d.profile ?? null,
        freeMiB: d.memoryTotalMiB !== null && d.memoryUsedMiB !== null ? d.memoryTotalMiB - d.memoryUsedMiB : null,
      }));
    }
    const free = g.memoryFreeMiB ?? (g.memoryTotalMiB !== null && g.memoryUsedMiB !== null ? g.memoryTotalMiB - g.memoryUsedMiB : null);
    return [{ nodeId, gpuIndex: g.index, device: g.uuid ?? String(g.index), kind: 'gpu', profile: null, freeMiB: free }];
  });
}
