import type { GpuRequirement } from '../gpu/placement';

/** A GPU reservation: the lease resource, and where and how much it holds. */
export interface GpuLease {
  resource: string;
  nodeId: string;
  /** The (first) GPU's index. */
  gpuIndex: number;
  /** Memory held on each device. */
  memoryMiB: number;
  /** Every device held, as `CUDA_VISIBLE_DEVICES` names them (GPU or MIG UUIDs); absent on leases made before devices were recorded. */
  devices?: string[];
}

/** Why an agent is being (re)placed. */
export type PlacementReason = 'spawn' | 'migrate' | 'drain' | 'node_dead' | 'gpu_lease_lost';

/** A request to move an agent: a named node, or null for "any node" (re-placed by its needs). */
export interface MigrationRequest {
  node: string | null;
  reason: PlacementReason;
  /** Nodes the agent must leave (a draining or dead node). */
  avoid?: string[];
}

/** What the placement activity is asked. */
export interface PlacementRequest extends MigrationRequest {
  agentId: string;
  model: string;
  gpu: GpuRequirement | null;
  /** The reservation the agent holds now (released when it moves). */
  heldLease: GpuLease | null;
}

/** Where the agent runs next, or why it must wait. */
export type PlacementResult =
  | { ok: true; node: string | null; taskQueue: string; llmTaskQueue: string; gpuLease: GpuLease | null }
  | { ok: false; reason: string };

/** The queue a node polls for work pinned to it. */
export function nodeTaskQueue(base: string, nodeId: string): string {
  return `${base}.node.${nodeId}`;
}

/** The lease resource of an agent's GPU reservation (one per agent). */
export function gpuLeaseResource(agentId: string): string {
  return `gpu:${agentId}`;
}

/**
 * Spreads agents leaving a node over the other live nodes, fewest pinned agents first (ties by id),
 * so a drain does not pile everything onto one node. No other node → null (any node).
 */
export function spreadAcross(agentIds: readonly string[], load: ReadonlyMap<string, number>): Map<string, string | null> {
  const counts = new Map(load);
  const out = new Map<string, string | null>();
  for (const id of agentIds) {
    let best: string | null = null;
    for (const [node, n] of counts) if (best === null || n < counts.get(best)! || (n === counts.get(best)! && node < best)) best = node;
    out.set(id, best);
    if (best !== null) counts.set(best, counts.get(best)! + 1);
  }
  return out;
}
