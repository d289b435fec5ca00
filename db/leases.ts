import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { gpuLeaseResource, type GpuLease } from '../kernel/agent/placement';
import { placeBestFit, type GpuRequirement, type Placement, type UnitSlot } from '../kernel/gpu/placement';
import { unitsOf, type GpuUnit } from '../kernel/gpu/units';
import type { GpuInventory } from '../kernel/gpu/types';
import type { Db } from './client';
import { leases, nodes } from './schema';

/** A stored lease. */
export type LeaseRow = typeof leases.$inferSelect;

/** One device a GPU reservation holds. */
interface LeasedDevice {
  gpuIndex: number;
  /** The unit's device id; absent on leases made before devices were recorded (a whole GPU then). */
  device?: string;
  memoryMiB: number;
}

/** What a GPU reservation lease carries: its node, and every device it holds (all or nothing). */
interface GpuLeaseData {
  kind: 'gpu';
  nodeId: string;
  /** Leases made before multi-GPU placement hold one whole GPU: `gpuIndex` and `memoryMiB`. */
  gpuIndex?: number;
  memoryMiB?: number;
  devices?: LeasedDevice[];
}

/** The devices a lease holds, whatever its vintage. */
function devicesOf(d: GpuLeaseData): LeasedDevice[] {
  return d.devices ?? (d.gpuIndex !== undefined ? [{ gpuIndex: d.gpuIndex, memoryMiB: d.memoryMiB ?? 0 }] : []);
}

/** Whether a leased device is this unit (a lease without device ids held the whole GPU of its index). */
function holds(leased: LeasedDevice, unit: GpuUnit): boolean {
  return leased.device !== undefined ? leased.device === unit.device : unit.kind === 'gpu' && leased.gpuIndex === unit.gpuIndex;
}

// One placement at a time (per database): reading free memory and reserving it must not interleave.
const PLACEMENT_LOCK = 0x4750_5531;

/**
 * Reserves GPU memory for an agent: best fit over the units (whole GPUs, MIG instances) of the live,
 * non-draining nodes, minus what unexpired leases already hold, chosen and written under one
 * advisory lock so two placements can never promise the same memory; a multi-GPU request gets all
 * its devices on one node in one lease, or nothing. The agent's previous reservation is released in
 * the same transaction. Returns the lease, or why nothing fits.
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
    const live = await tx.select({ id: nodes.id, gpus: nodes.gpus, capabilities: nodes.capabilities }).from(nodes).where(eq(nodes.status, 'alive'));
    const held = (await tx.select({ data: leases.data }).from(leases)).map((l) => l.data as Partial<GpuLeaseData>).filter((d): d is GpuLeaseData => d.kind === 'gpu');
    // A node whose last GPU reading failed shows its last good inventory, but takes no new GPU work
    // until it reads well again (a GPU that fell off the bus often makes nvidia-smi fail outright).
    const degraded = (n: (typeof live)[number]) => (n.capabilities as { gpuStatus?: { state?: string; error?: string } } | null)?.gpuStatus;
    if (req.only) {
      const status = degraded(live.find((n) => n.id === req.only) ?? { id: '', gpus: null, capabilities: null });
      if (status?.state === 'degraded') return { ok: false, reason: `node ${req.only}: its GPUs could not be read (${status.error ?? 'no reason given'}); it takes no new GPU work until they can` };
    }
    const usable = live.filter((n) => !(req.avoid ?? []).includes(n.id) && (!req.only || n.id === req.only) && degraded(n)?.state !== 'degraded');
    const slots: UnitSlot[] = usable.flatMap((n) =>
      unitsOf(n.id, inventoryOf(n.gpus)).map((unit) => ({
        unit,
        reservedMiB: held.filter((h) => h.nodeId === n.id).flatMap(devicesOf).filter((d) => holds(d, unit)).reduce((sum, d) => sum + d.memoryMiB, 0),
      })),
    );
    const topologies = new Map(usable.map((n) => [n.id, inventoryOf(n.gpus).topology ?? null]));
    const placed: Placement = placeBestFit(slots, req.need, topologies);
    if (!placed.ok) return { ok: false, reason: req.only ? `node ${req.only}: ${placed.reason}` : placed.reason };
    const data: GpuLeaseData = { kind: 'gpu', nodeId: placed.nodeId, devices: placed.devices.map((d) => ({ gpuIndex: d.gpuIndex, device: d.device, memoryMiB: d.memoryMiB })) };
    await tx.insert(leases).values({ resource, holder: req.agentId, data, acquiredAt: now, expiresAt: new Date(now.getTime() + req.leaseMs) });
    return { ok: true, lease: { resource, nodeId: placed.nodeId, gpuIndex: placed.devices[0]!.gpuIndex, memoryMiB: req.need.memoryMiB, devices: placed.devices.map((d) => d.device) } };
  });
}

/** A stored inventory in today's shape (rows from before inventories had a driver were a bare list). */
export function inventoryOf(stored: unknown): GpuInventory {
  if (Array.isArray(stored)) return { driverVersion: null, gpus: stored as GpuInventory['gpus'] };
  const inv = stored as Partial<GpuInventory> | null;
  return { driverVersion: inv?.driverVersion ?? null, gpus: inv?.gpus ?? [], topology: inv?.topology ?? null };
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

/** Unexpired GPU reservations, one row per device held, for listings and for checking that nothing is over-committed. */
export async function gpuReservations(db: Db, now = new Date()): Promise<Array<{ resource: string; holder: string; nodeId: string; gpuIndex: number; device: string | null; memoryMiB: number; expiresAt: Date }>> {
  const rows = await db.select().from(leases).where(sql`${leases.expiresAt} >= ${now.toISOString()}::timestamptz and ${leases.data}->>'kind' = 'gpu'`);
  return rows.flatMap((r) => {
    const d = r.data as GpuLeaseData;
    return devicesOf(d).map((dev) => ({ resource: r.resource, holder: r.holder, nodeId: d.nodeId, gpuIndex: dev.gpuIndex, device: dev.device ?? null, memoryMiB: dev.memoryMiB, expiresAt: r.expiresAt }));
  });
}

/** The devices of an agent's GPU reservation (what `CUDA_VISIBLE_DEVICES` names), or none. */
export async function leasedDevices(db: Db, agentId: string): Promise<string[]> {
  const [row] = await db.select({ data: leases.data }).from(leases).where(eq(leases.resource, gpuLeaseResource(agentId))).limit(1);
  if (!row) return [];
  return devicesOf(row.data as GpuLeaseData).map((d) => d.device ?? String(d.gpuIndex));
}

/** Releases the leases holding any of a node's devices that are gone or unhealthy; their agents are placed again at their next step. */
export async function releaseLeasesOnDevices(db: Db, nodeId: string, gone: ReadonlySet<string>): Promise<string[]> {
  if (gone.size === 0) return [];
  const rows = await db.select().from(leases).where(sql`${leases.data}->>'kind' = 'gpu' and ${leases.data}->>'nodeId' = ${nodeId}`);
  const doomed = rows.filter((r) => devicesOf(r.data as GpuLeaseData).some((d) => gone.has(d.device ?? `index:${d.gpuIndex}`)));
  if (!doomed.length) return [];
  await db.delete(leases).where(inArray(leases.resource, doomed.map((r) => r.resource)));
  return doomed.map((r) => r.holder);
}
