import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { agentRow } from '../control/views';
import { enteringStep } from '../db/agents';
import { correctMemory, createMemory, currentMemories, deleteMemory, ensureCrewRecord, memoryHistory, searchMemories } from '../db/memories';
import { listTenant, tenantFor } from './auth/tenant';
import { crewRecordId } from '../db/scope';
import { KernelError } from '../kernel/errors';
import type { ApiDeps } from './deps';
import { principalOf } from './auth/guard';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const memorySchema = z.object({ id: z.string(), scope: z.string(), key: z.string(), content: z.string(), version: z.number().int(), supersedesId: z.string().nullable(), createdAt: z.string() });
const view = (m: { id: string; scope: string; key: string; content: string; version: number; supersedesId: string | null; createdAt: Date }) => ({ id: m.id, scope: m.scope, key: m.key, content: m.content, version: m.version, supersedesId: m.supersedesId, createdAt: m.createdAt.toISOString() });

const listRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/memories',
  summary: 'Current memories of an agent (short, long, entity)',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: 'Memories', content: { 'application/json': { schema: z.object({ memories: z.array(memorySchema) }) } } }, 404: problemResponse('Unknown agent') },
});

const createMemoryRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/memories',
  summary: 'Give an agent a memory (it becomes a page that assembly and recall find)',
  request: { params: z.object({ id: z.string() }), body: { required: true, content: { 'application/json': { schema: z.object({ scope: z.enum(['short', 'long', 'entity']), key: z.string().min(1).max(200), content: z.string().min(1).max(20_000) }) } } } },
  responses: { 201: { description: 'Stored', content: { 'application/json': { schema: memorySchema } } }, 404: problemResponse('Unknown agent') },
});

const feedbackRoute = createRoute({
  method: 'post',
  path: '/memories/{memoryId}/feedback',
  summary: 'Correct a memory: replace or amend it; the old version stays in the audit trail',
  request: {
    params: z.object({ memoryId: z.string() }),
    body: { required: true, content: { 'application/json': { schema: z.object({ mode: z.enum(['replace', 'amend']), content: z.string().min(1).max(20_000), reason: z.string().max(1_000).optional() }) } } },
  },
  responses: { 201: { description: 'The new version', content: { 'application/json': { schema: memorySchema } } }, 404: problemResponse('Unknown memory'), 409: problemResponse('Not the current version') },
});

const historyRoute = createRoute({
  method: 'get',
  path: '/memories/{memoryId}/versions',
  summary: 'Every version of a memory, newest first',
  request: { params: z.object({ memoryId: z.string() }) },
  responses: { 200: { description: 'Versions', content: { 'application/json': { schema: z.object({ versions: z.array(memorySchema) }) } } }, 404: problemResponse('Unknown memory') },
});

const crewMemoryRoute = createRoute({
  method: 'post',
  path: '/crews/{crew}/memories',
  summary: 'Give a crew a shared memory: every agent spawned with this crew sees it',
  request: { params: z.object({ crew: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).max(80) }), body: { required: true, content: { 'application/json': { schema: z.object({ scope: z.enum(['short', 'long', 'entity']), key: z.string().min(1).max(200), content: z.string().min(1).max(20_000) }) } } } },
  responses: { 201: { description: 'Stored', content: { 'application/json': { schema: memorySchema } } }, 400: problemResponse('Invalid') },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/memories/{memoryId}',
  summary: 'Forget a memory: every version, its pages, full-text and vector rows; the audit log keeps that it happened, not what it said',
  request: { params: z.object({ memoryId: z.string().min(1).max(200) }) },
  responses: { 204: { description: 'Forgotten' }, 404: problemResponse('Unknown memory') },
});

const searchRoute = createRoute({
  method: 'get',
  path: '/memories',
  summary: "Search the tenant's current memories by scope, type, agent, crew and words",
  request: {
    query: z.object({
      scope: z.enum(['short', 'long', 'entity']).optional(),
      type: z.enum(['fact', 'note']).optional().describe('fact: an entity fact read from messages (entity, attribute, value); note: any memory written as text'),
      agent: z.string().min(1).max(200).optional(),
      crew: z.string().min(1).max(80).optional().describe('a crew’s shared memories'),
      q: z.string().min(1).max(1_000).optional().describe('words to match (any of them), best match first'),
      tenant: z.string().min(1).max(80).optional().describe('root only: one tenant (default: every tenant for root, else your own)'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: { 200: { description: 'Memories', content: { 'application/json': { schema: z.object({ memories: z.array(memorySchema.extend({ agentId: z.string().nullable(), tenant: z.string() })) }) } } }, 400: problemResponse('Invalid query') },
});

/** Memory routes: an agent's and a crew's, corrections and versions, search, deletion. */
export function memoryRoutes(deps: ApiDeps) {
  const agentOr404 = (id: string) => agentRow(deps, id);
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(listRoute, async (c) => {
      const agent = await agentOr404(c.req.valid('param').id);
      return c.json({ memories: (await currentMemories(deps.db, agent.id)).map(view) }, 200);
    })
    .openapi(createMemoryRoute, async (c) => {
      const agent = await agentOr404(c.req.valid('param').id);
      return c.json(view(await createMemory(deps.db, agent.id, enteringStep(agent), c.req.valid('json'))), 201);
    })
    .openapi(feedbackRoute, async (c) => {
      const { memoryId } = c.req.valid('param');
      const row = await correctMemory(deps.db, memoryId, { ...c.req.valid('json'), actor: principalOf(c).actor });
      if (!row) throw new KernelError('not_found', `no memory with id "${memoryId}"`);
      return c.json(view(row), 201);
    })
    .openapi(crewMemoryRoute, async (c) => {
      const owner = await ensureCrewRecord(deps.db, c.req.valid('param').crew, principalOf(c).tenant);
      return c.json(view(await createMemory(deps.db, owner, 0, c.req.valid('json'))), 201);
    })
    .openapi(deleteRoute, async (c) => {
      const { memoryId } = c.req.valid('param');
      if (!(await deleteMemory(deps.db, memoryId, principalOf(c).actor))) throw new KernelError('not_found', `no memory with id "${memoryId}"`);
      return c.body(null, 204);
    })
    .openapi(searchRoute, async (c) => {
      const q = c.req.valid('query');
      const tenant = q.tenant ? tenantFor(c, q.tenant) : listTenant(c);
      const crew = q.crew ? crewRecordId(q.crew, tenant ?? principalOf(c).tenant) : undefined;
      const rows = await searchMemories(deps.db, { tenant, scope: q.scope, type: q.type, agentId: crew ?? q.agent, q: q.q, limit: q.limit });
      return c.json({ memories: rows.map((m) => ({ ...view(m), agentId: m.agentId, tenant: m.tenant })) }, 200);
    })
    .openapi(historyRoute, async (c) => {
      const { memoryId } = c.req.valid('param');
      const versions = await memoryHistory(deps.db, memoryId);
      if (versions.length === 0) throw new KernelError('not_found', `no memory with id "${memoryId}"`);
      return c.json({ versions: versions.map(view) }, 200);
    });
}
