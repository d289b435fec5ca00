import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { gpuLeaseResource, type GpuLease } from '../kernel/agent/placement';
import { placeBestFit, type GpuRequirement, type GpuSlot, type Placement } from '../kernel/gpu/placement';
import type { GpuInventory } from '../kernel/gpu/types';
import type { Db } from './client';
import { leases, nodes } from './schema';

/** A stored lease. */
export type LeaseRow = typeof leases.$inferSelect;

/** What a GPU reservation lease carries. */
interface GpuLeaseData {
  kind: 'gpu';
  nodeId: string;
  gpuIndex: number;
  memoryMiB: number;
}

// One placement at a time (per database): reading free memory and reserving it must not interleave.
const PLACEMENT_LOCK = 0x4750_5531;

/**
 * Reserves GPU memory for an agent: best fit over the live, non-draining nodes' GPUs, minus what
 * unexpired leases already hold, chosen and written under one advisory lock so two placements can
 * never promise the same memory. The agent's previous reservation is released in the same
 * transaction. Returns the lease, or why nothing fits.
 */
export async function reserveGpu(
  db: Db,
  req: { agentId: string; need: GpuRequirement; leaseMs: number; avoid?: readonly string[]; only?: string | null },
  now = new Date(),
): Promise<{ ok: true; lease: GpuLease } | { ok: false; reason: string }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PLACEMENT_LOCK})`);
    const resource = gpuLeaseResource(req.agentId);
    await tx.delete(leases).where(eq(leases.resource, resource));
    await tx.delete(leases).where(lt(leases.expiresAt, now));
    const live = await tx.select({ id: nodes.id, gpus: nodes.gpus }).from(nodes).where(eq(nodes.status, 'alive'));
    const held = (await tx.select({ data: leases.data }).from(leases)).map((l) => l.data as Partial<GpuLeaseData>).filter((d): d is GpuLeaseData => d.kind === 'gpu');
    const slots: GpuSlot[] = live
      .filter((n) => !(req.avoid ?? []).includes(n.id) && (!req.only || n.id === req.only))
      .flatMap((n) =>
        ((n.gpus as GpuInventory).gpus ?? []).map((gpu) => ({
          nodeId: n.id,
          gpu,
          reservedMiB: held.filter((h) => h.nodeId === n.id && h.gpuIndex === gpu.index).reduce((sum, h) => sum + h.memoryMiB, 0),
        })),
      );
    const placed: Placement = placeBestFit(slots, req.need);
    if (!placed.ok) return { ok: false, reason: req.only ? `node ${req.only}: ${placed.reason}` : placed.reason };
    const data: GpuLeaseData = { kind: 'gpu', nodeId: placed.nodeId, gpuIndex: placed.gpuIndex, memoryMiB: req.need.memoryMiB };
    await tx.insert(leases).values({ resource, holder: req.agentId, data, acquiredAt: now, expiresAt: new Date(now.getTime() + req.leaseMs) });
    return { ok: true, lease: { resource, nodeId: placed.nodeId, gpuIndex: placed.gpuIndex, memoryMiB: req.need.memoryMiB } };
  });
}

/** Extends a lease its holder still has; false when it expired and was taken or released. */
export async function renewLease(db: Db, resource: string, holder: string, leaseMs: number, now = new Date()): Promise<boolean> {
  const rows = await db
    .update(leases)
    .set({ expiresAt: new Date(now.getTime() + leaseMs) })
    .where(and(eq(leases.resource, resource), eq(leases.holder, holder)))
    .returning({ resource: leases.resource });
  return rows.length > 0;
}

/** Takes a free (or expired) lease on a resource; false when someone else holds it. */
export async function claimLease(db: Db, resource: string, holder: string, leaseMs: number, data: Record<string, unknown> = {}, now = new Date()): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + leaseMs);
  const rows = await db
    .insert(leases)
    .values({ resource, holder, data, acquiredAt: now, expiresAt })
    .onConflictDoUpdate({ target: leases.resource, set: { holder, data, acquiredAt: now, expiresAt }, setWhere: sql`${leases.expiresAt} < ${now.toISOString()}::timestamptz or ${leases.holder} = ${holder}` })
    .returning({ resource: leases.resource });
  return rows.length > 0;
}

/** Releases every lease a holder has (an agent that ended frees its GPU). */
export async function releaseLeases(db: Db, holder: string, resources?: readonly string[]): Promise<number> {
  const rows = await db
    .delete(leases)
    .where(resources ? and(eq(leases.holder, holder), inArray(leases.resource, [...resources])) : eq(leases.holder, holder))
    .returning({ resource: leases.resource });
  return rows.length;
}

/** Unexpired GPU reservations, for listings and for checking that nothing is over-committed. */
export async function gpuReservations(db: Db, now = new Date()): Promise<Array<GpuLease & { holder: string; expiresAt: Date }>> {
  const rows = await db.select().from(leases).where(sql`${leases.expiresAt} >= ${now.toISOString()}::timestamptz and ${leases.data}->>'kind' = 'gpu'`);
  return rows.map((r) => {
    const d = r.data as GpuLeaseData;
    return { resource: r.resource, holder: r.holder, nodeId: d.nodeId, gpuIndex: d.gpuIndex, memoryMiB: d.memoryMiB, expiresAt: r.expiresAt };
  });
}
