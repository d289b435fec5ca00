import { and, eq, gt, inArray, isNotNull, lt, notInArray, sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { GpuInventory, GpuStatus } from '../kernel/gpu/types';
import type { Db } from './client';
import { agents, nodes } from './schema';

/** A stored node row. */
export type NodeRow = typeof nodes.$inferSelect;

/** What a node announces about itself. */
export interface NodeAnnouncement {
  id: string;
  hostname: string;
  taskQueue: string;
  capabilities: Record<string, unknown>;
  gpus: GpuInventory;
}

/** Statuses of a node that still holds its lease (a draining node runs, but takes no new work). */
const LIVE = ['alive', 'draining'];

/** The NOTIFY channel on which a node hears that an operator drained or undrained it; payload `<nodeId>`. */
export const NODES_CHANNEL = 'aok_node_status';

/** Registers (or re-registers) a node as alive with a lease of `leaseMs`. */
export async function registerNode(db: Db, node: NodeAnnouncement, leaseMs: number, now = new Date()): Promise<void> {
  const lease = new Date(now.getTime() + leaseMs);
  await db
    .insert(nodes)
    .values({ id: node.id, hostname: node.hostname, taskQueue: node.taskQueue, status: 'alive', capabilities: node.capabilities, gpus: node.gpus, startedAt: now, heartbeatAt: now, leaseExpiresAt: lease })
    .onConflictDoUpdate({ target: nodes.id, set: { hostname: node.hostname, taskQueue: node.taskQueue, status: 'alive', capabilities: node.capabilities, gpus: node.gpus, startedAt: now, heartbeatAt: now, leaseExpiresAt: lease } });
}

/** Renews a node's lease (merging `capabilities` that change, such as its providers' circuits); returns its status (alive or draining), or null when it was meanwhile declared dead (it must re-register). */
export async function heartbeat(db: Db, id: string, leaseMs: number, now = new Date(), capabilities?: Record<string, unknown>): Promise<string | null> {
  const rows = await db
    .update(nodes)
    .set({ heartbeatAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs), ...(capabilities ? { capabilities: sql`${nodes.capabilities} || ${JSON.stringify(capabilities)}::jsonb` } : {}) })
    .where(and(eq(nodes.id, id), inArray(nodes.status, LIVE)))
    .returning({ status: nodes.status });
  return rows[0]?.status ?? null;
}

/** Marks every alive node whose lease lapsed as dead; returns their ids. Any node may run it. */
export async function reapDeadNodes(db: Db, now = new Date()): Promise<string[]> {
  const rows = await db
    .update(nodes)
    .set({ status: 'dead' })
    .where(and(inArray(nodes.status, LIVE), lt(nodes.leaseExpiresAt, now)))
    .returning({ id: nodes.id });
  return rows.map((r) => r.id);
}

/** Marks a node as stopped (a clean shutdown, not a death). */
export async function deregisterNode(db: Db, id: string): Promise<void> {
  await db.update(nodes).set({ status: 'stopped', leaseExpiresAt: sql`now()` }).where(eq(nodes.id, id));
}

/** Stores a node's GPU inventory as it stands now, and how it was read (in its capabilities, as `gpuStatus`). */
export async function setNodeGpus(db: Db, id: string, inventory: GpuInventory, status: GpuStatus): Promise<void> {
  await db
    .update(nodes)
    .set({ gpus: inventory, capabilities: sql`${nodes.capabilities} || ${JSON.stringify({ gpu: inventory.gpus.length > 0, gpuCount: inventory.gpus.length, gpuStatus: status })}::jsonb` })
    .where(eq(nodes.id, id));
}

/** Every known node, newest heartbeat first. */
export async function listNodes(db: Db): Promise<NodeRow[]> {
  return db.select().from(nodes).orderBy(sql`${nodes.heartbeatAt} desc`);
}

/** A node's status as readers should see it: a live node whose lease lapsed is dead even before it is reaped. */
export function effectiveStatus(node: Pick<NodeRow, 'status' | 'leaseExpiresAt'>, now = Date.now()): string {
  return LIVE.includes(node.status) && node.leaseExpiresAt.getTime() < now ? 'dead' : node.status;
}

/** One node by id. */
export async function getNode(db: Db, id: string): Promise<NodeRow | undefined> {
  const [row] = await db.select().from(nodes).where(eq(nodes.id, id)).limit(1);
  return row;
}

/** Marks a live node as draining: placement skips it and its agents are moved off. False if it is not live. */
export async function markDraining(db: Db, id: string): Promise<boolean> {
  const rows = await db.update(nodes).set({ status: 'draining' }).where(and(eq(nodes.id, id), inArray(nodes.status, LIVE))).returning({ id: nodes.id });
  return rows.length > 0;
}

/** Returns a draining node to service (it takes shared work again). False unless it is draining with a live lease. */
export async function markUndrained(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .update(nodes)
    .set({ status: 'alive' })
    .where(and(eq(nodes.id, id), eq(nodes.status, 'draining'), gt(nodes.leaseExpiresAt, sql`now()`)))
    .returning({ id: nodes.id });
  return rows.length > 0;
}

/** Live agents pinned to a node (not finished): id, workflow, and whether they need a GPU. */
export async function agentsOnNode(db: Db, nodeId: string): Promise<Array<{ id: string; workflowId: string; needsGpu: boolean }>> {
  const rows = await db
    .select({ id: agents.id, workflowId: agents.workflowId, needsGpu: sql<boolean>`(${agents.definition}->'placement'->>'gpuMemoryMiB') is not null` })
    .from(agents)
    .where(and(eq(agents.node, nodeId), notInArray(agents.status, [...TERMINAL_STATUSES])));
  return rows;
}

/** How many live agents each alive (not draining) node holds, for spreading moved agents. */
export async function nodeLoads(db: Db, except: readonly string[] = []): Promise<Map<string, number>> {
  const alive = await db.select({ id: nodes.id }).from(nodes).where(eq(nodes.status, 'alive'));
  const pinned = await db
    .select({ node: agents.node, n: sql<number>`count(*)::int` })
    .from(agents)
    .where(and(isNotNull(agents.node), notInArray(agents.status, [...TERMINAL_STATUSES])))
    .groupBy(agents.node);
  const counts = new Map(pinned.map((p) => [p.node!, p.n]));
  return new Map(alive.filter((n) => !except.includes(n.id)).map((n) => [n.id, counts.get(n.id) ?? 0]));
}
