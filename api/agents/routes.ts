import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { spawnAgentSchema } from '../../kernel/agent/spawn';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';
import { spawnAgent } from '../../control/spawn';
import { agentPages, agentTree, describeAgent, listAgents, type AgentTreeNode } from '../../control/views';
import { agentViewSchema, pageViewSchema } from '../../kernel/agent/view';
import { refuseOverDailySpend } from '../auth/caps';
import { listTenant, tenantFor } from '../auth/tenant';
import { principalOf } from '../auth/guard';

const idParam = z.object({ id: z.string().min(1).max(200) });

const spawnRoute = createRoute({
  method: 'post',
  path: '/agents',
  summary: 'Spawn an agent',
  description: 'Stores the agent and its input in Postgres and starts its durable workflow.',
  request: { body: { required: true, content: { 'application/json': { schema: spawnAgentSchema } } } },
  responses: {
    201: { description: 'Spawned', content: { 'application/json': { schema: agentViewSchema } } },
    400: problemResponse('Invalid body'),
    503: problemResponse('Temporal unavailable'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/agents/{id}',
  summary: 'Describe an agent',
  description: 'Live state through a workflow query while it runs; the stored row once it has finished.',
  request: { params: idParam },
  responses: {
    200: { description: 'The agent', content: { 'application/json': { schema: agentViewSchema } } },
    404: problemResponse('Unknown id'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/agents',
  summary: 'List agents, newest first',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: { description: 'Agents', content: { 'application/json': { schema: z.object({ agents: z.array(agentViewSchema) }) } } },
    400: problemResponse('Invalid query'),
  },
});

const pagesRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/pages',
  summary: "An agent's context pages (its conversation) in step order",
  request: { params: idParam },
  responses: {
    200: { description: 'Pages', content: { 'application/json': { schema: z.object({ pages: z.array(pageViewSchema) }) } } },
    404: problemResponse('Unknown id'),
  },
});

/** A tree node; `children` holds nodes of the same shape (described, not recursed, so the document stays finite). */
const treeNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  step: z.number().int(),
  crewId: z.string().nullable().describe('the crew the agent belongs to: for a sub-crew, one its parent started with spawn_crew'),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int(), costUsd: z.number() }),
  children: z.array(z.record(z.string(), z.unknown())).describe('sub-agents and sub-crew members, each of this same shape'),
});

const treeRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/tree',
  summary: 'The agent and everything it delegated to (spawn_agent sub-agents, spawn_crew crews’ members), with status and spend',
  request: { params: idParam },
  responses: { 200: { description: 'The tree', content: { 'application/json': { schema: treeNodeSchema } } }, 404: problemResponse('Unknown id') },
});

/** A tree as plain JSON for the typed response (its children typed as JSON objects). */
function jsonTree(node: AgentTreeNode): z.infer<typeof treeNodeSchema> {
  return { ...node, children: node.children.map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>) };
}

/** The `/agents` routes. */
export function agentRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(spawnRoute, async (c) => {
      const spec = c.req.valid('json');
      const tenant = tenantFor(c, spec.tenant);
      await refuseOverDailySpend(deps, tenant);
      const view = await spawnAgent(deps, { ...spec, tenant }, principalOf(c).actor, c.req.header('idempotency-key'));
      c.header('location', `/agents/${view.id}`);
      return c.json(view, 201);
    })
    .openapi(getRoute, async (c) => c.json(await describeAgent(deps, c.req.valid('param').id), 200))
    .openapi(listRoute, async (c) => {
      const { limit, offset } = c.req.valid('query');
      return c.json({ agents: await listAgents(deps, limit, offset, listTenant(c)) }, 200);
    })
    .openapi(pagesRoute, async (c) => c.json({ pages: await agentPages(deps, c.req.valid('param').id) }, 200))
    .openapi(treeRoute, async (c) => c.json(jsonTree(await agentTree(deps, c.req.valid('param').id)), 200));
}
