import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { listNodes } from '../db/nodes';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

const nodeSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  taskQueue: z.string(),
  /** alive, dead (lease lapsed) or stopped (clean shutdown); a lapsed lease reads as dead even before it is reaped. */
  status: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  gpus: z.unknown(),
  heartbeatAt: z.string(),
  leaseExpiresAt: z.string(),
});

const listRoute = createRoute({
  method: 'get',
  path: '/nodes',
  summary: 'Every node (worker process) with its capabilities, GPUs and lease',
  responses: { 200: { description: 'Nodes', content: { 'application/json': { schema: z.object({ nodes: z.array(nodeSchema) }) } } } },
});

/** Node registry routes. */
export function nodeRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(listRoute, async (c) => {
    const now = Date.now();
    const rows = await listNodes(deps.db);
    return c.json({
      nodes: rows.map((n) => ({
        id: n.id,
        hostname: n.hostname,
        taskQueue: n.taskQueue,
        status: n.status === 'alive' && n.leaseExpiresAt.getTime() < now ? 'dead' : n.status,
        capabilities: n.capabilities as Record<string, unknown>,
        gpus: n.gpus,
        heartbeatAt: n.heartbeatAt.toISOString(),
        leaseExpiresAt: n.leaseExpiresAt.toISOString(),
      })),
    }, 200);
  });
}
