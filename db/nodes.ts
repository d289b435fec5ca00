import { and, eq, lt, sql } from 'drizzle-orm';
import type { GpuInventory } from '../kernel/gpu/types';
import type { Db } from './client';
import { nodes } from './schema';

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

/** Registers (or re-registers) a node as alive with a lease of `leaseMs`. */
export async function registerNode(db: Db, node: NodeAnnouncement, leaseMs: number, now = new Date()): Promise<void> {
  const lease = new Date(now.getTime() + leaseMs);
  await db
    .insert(nodes)
    .values({ id: node.id, hostname: node.hostname, taskQueue: node.taskQueue, status: 'alive', capabilities: node.capabilities, gpus: node.gpus, startedAt: now, heartbeatAt: now, leaseExpiresAt: lease })
    .onConflictDoUpdate({ target: nodes.id, set: { hostname: node.hostname, taskQueue: node.taskQueue, status: 'alive', capabilities: node.capabilities, gpus: node.gpus, startedAt: now, heartbeatAt: now, leaseExpiresAt: lease } });
}

/** Renews a node's lease; returns false when the node was meanwhile declared dead (it must re-register). */
export async function heartbeat(db: Db, id: string, leaseMs: number, now = new Date()): Promise<boolean> {
  const rows = await db
    .update(nodes)
    .set({ heartbeatAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs) })
    .where(and(eq(nodes.id, id), eq(nodes.status, 'alive')))
    .returning({ id: nodes.id });
  return rows.length > 0;
}

/** Marks every alive node whose lease lapsed as dead; returns their ids. Any node may run it. */
export async function reapDeadNodes(db: Db, now = new Date()): Promise<string[]> {
  const rows = await db
    .update(nodes)
    .set({ status: 'dead' })
    .where(and(eq(nodes.status, 'alive'), lt(nodes.leaseExpiresAt, now)))
    .returning({ id: nodes.id });
  return rows.map((r) => r.id);
}

/** Marks a node as stopped (a clean shutdown, not a death). */
export async function deregisterNode(db: Db, id: string): Promise<void> {
  await db.update(nodes).set({ status: 'stopped', leaseExpiresAt: sql`now()` }).where(eq(nodes.id, id));
}

/** Every known node, newest heartbeat first. */
export async function listNodes(db: Db): Promise<NodeRow[]> {
  return db.select().from(nodes).orderBy(sql`${nodes.heartbeatAt} desc`);
}
