import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { effectiveStatus, listNodes } from '../db/nodes';
import { gpuReservations } from '../db/leases';
import { drainNode, undrainNode } from '../control/migrate';
import { problemResponse } from './openapi-common';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';
import { principalOf } from './auth/guard';
import { listTenant } from './auth/tenant';
import { and, eq, inArray } from 'drizzle-orm';
import { agents } from '../db/schema';

const migSchema = z.object({
  index: z.number().int().nullable(),
  uuid: z.string().nullable().default(null).describe('the instance UUID when the driver lists one'),
  gpuInstanceId: z.number().int().nullable().default(null),
  computeInstanceId: z.number().int().nullable().default(null),
  multiprocessorCount: z.number().int().nullable().default(null),
  profile: z.string().nullable().default(null).describe('e.g. 1g.20gb'),
  memoryTotalMiB: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
});
/** One GPU as the node's `nvidia-smi` reported it (null: the driver could not say). */
const gpuSchema = z.object({
  index: z.number().int(),
  uuid: z.string().nullable(),
  name: z.string(),
  busId: z.string().nullable(),
  memoryTotalMiB: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryFreeMiB: z.number().nullable(),
  utilizationPct: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerDrawW: z.number().nullable(),
  migEnabled: z.boolean().nullable(),
  migDevices: z.array(migSchema),
  problems: z.array(z.string()).default([]).describe('why this GPU is not offered (ECC errors, retired or remapped pages pending); empty when healthy'),
});
/** A node's GPU inventory: its driver and GPUs (empty when it has none). */
const inventorySchema = z.object({ driverVersion: z.string().nullable(), gpus: z.array(gpuSchema), topology: z.array(z.array(z.number())).nullable().default(null).describe('link scores between GPUs from nvidia-smi topo -m (higher is closer), when read') });

/** The stored inventory in today's shape (rows from before inventories had a driver were a bare list). */
function inventoryOf(stored: unknown): z.infer<typeof inventorySchema> {
  const parsed = inventorySchema.safeParse(Array.isArray(stored) ? { driverVersion: null, gpus: stored } : stored);
  return parsed.success ? parsed.data : { driverVersion: null, gpus: [], topology: null };
}

const gpuStatusSchema = z.object({ state: z.enum(['ok', 'none', 'degraded']), error: z.string().nullable(), checkedAt: z.string() });
/** The GPU status a node stored with its capabilities (null from nodes that predate it). */
function gpuStatusOf(capabilities: unknown): z.infer<typeof gpuStatusSchema> | null {
  const parsed = gpuStatusSchema.safeParse((capabilities as { gpuStatus?: unknown } | null)?.gpuStatus);
  return parsed.success ? parsed.data : null;
}

const nodeSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  taskQueue: z.string(),
  /** alive, draining (runs only what is pinned to it, moving it off), dead (lease lapsed) or stopped (clean shutdown); a lapsed lease reads as dead even before it is reaped. */
  status: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  gpus: inventorySchema,
  /** How the GPU inventory was last read: ok, none (no nvidia-smi), or degraded (the last read failed: the inventory shown is the last good one). */
  gpuStatus: z.object({ state: z.enum(['ok', 'none', 'degraded']), error: z.string().nullable(), checkedAt: z.string() }).nullable(),
  heartbeatAt: z.string(),
  leaseExpiresAt: z.string(),
  /** GPU memory reserved on this node by agents' leases, per GPU index. */
  reservations: z.array(z.object({ agentId: z.string().nullable().describe('null when the agent belongs to another tenant'), gpuIndex: z.number().int(), device: z.string().nullable().describe('the GPU or MIG instance held (CUDA_VISIBLE_DEVICES)'), memoryMiB: z.number(), expiresAt: z.string() })),
});

/** Who asks (for the audit log). */
const actorBody = z.object({});
/** A node action's path and optional body. */
const nodeAction = { params: z.object({ id: z.string().min(1).max(200) }), body: { required: false, content: { 'application/json': { schema: actorBody } } } };

const drainRoute = createRoute({
  method: 'post',
  path: '/nodes/{id}/drain',
  summary: 'Drain a node: it stops taking shared work and every agent pinned to it moves to other nodes',
  request: nodeAction,
  responses: {
    202: { description: 'Draining', content: { 'application/json': { schema: z.object({ node: z.string(), status: z.literal('draining'), moving: z.array(z.object({ agentId: z.string(), to: z.string().nullable() })) }) } } },
    404: problemResponse('Unknown node'),
    409: problemResponse('The node is not live'),
  },
});

const undrainRoute = createRoute({
  method: 'post',
  path: '/nodes/{id}/undrain',
  summary: 'Return a draining node to service: it takes shared work again and placement may choose it (agents moved off stay where they are)',
  request: nodeAction,
  responses: {
    200: { description: 'In service', content: { 'application/json': { schema: z.object({ node: z.string(), status: z.literal('alive') }) } } },
    404: problemResponse('Unknown node'),
    409: problemResponse('The node is not draining, or its lease lapsed'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/nodes',
  summary: 'Every node (worker process) with its capabilities, GPUs and lease',
  responses: { 200: { description: 'Nodes', content: { 'application/json': { schema: z.object({ nodes: z.array(nodeSchema) }) } } } },
});

/** Node registry routes. */
export function nodeRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(drainRoute, async (c) => {
    return c.json(await drainNode(deps, c.req.valid('param').id, principalOf(c).actor), 202);
  }).openapi(undrainRoute, async (c) => {
    return c.json(await undrainNode(deps, c.req.valid('param').id, principalOf(c).actor), 200);
  }).openapi(listRoute, async (c) => {
    const now = Date.now();
    const rows = await listNodes(deps.db);
    const held = await gpuReservations(deps.db);
    // Another tenant's reservation shows its size, never which agent holds it.
    const tenant = listTenant(c);
    const holders = held.map((r) => r.holder);
    const visible = tenant === null ? new Set(holders) : new Set(holders.length ? (await deps.db.select({ id: agents.id }).from(agents).where(and(inArray(agents.id, holders), eq(agents.tenant, tenant)))).map((r) => r.id) : []);
    return c.json({
      nodes: rows.map((n) => ({
        id: n.id,
        hostname: n.hostname,
        taskQueue: n.taskQueue,
        status: effectiveStatus(n, now),
        capabilities: n.capabilities as Record<string, unknown>,
        gpus: inventoryOf(n.gpus),
        gpuStatus: gpuStatusOf(n.capabilities),
        heartbeatAt: n.heartbeatAt.toISOString(),
        leaseExpiresAt: n.leaseExpiresAt.toISOString(),
        reservations: held.filter((r) => r.nodeId === n.id).map((r) => ({ agentId: visible.has(r.holder) ? r.holder : null, gpuIndex: r.gpuIndex, device: r.device, memoryMiB: r.memoryMiB, expiresAt: r.expiresAt.toISOString() })),
      })),
    }, 200);
  });
}
