import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { agentRow } from '../control/views';
import { listFacts, type FactVersion } from '../db/entities';
import { listTenant, tenantFor } from './auth/tenant';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const factSchema = z.object({
  memoryId: z.string(),
  attribute: z.string(),
  value: z.string(),
  version: z.number().int(),
  validFrom: z.string(),
  validUntil: z.string().nullable().describe('when a newer version replaced it; null while current'),
  sourcePageId: z.string().nullable(),
  extractor: z.string().nullable().describe('rules or model'),
  agentId: z.string().nullable(),
});
const entitiesSchema = z.object({ entities: z.array(z.object({ entity: z.string(), facts: z.array(factSchema) })) });
const filters = {
  entity: z.string().min(1).max(120).optional().describe('one entity, by name (case-insensitive)'),
  history: z.enum(['true', 'false']).default('false').describe('true: every version, closed ones with their validity end'),
  limit: z.coerce.number().int().min(1).max(1_000).default(500),
};

/** Facts grouped by entity (as named first), in the order they were listed. */
function byEntity(facts: readonly FactVersion[]) {
  const groups = new Map<string, { entity: string; facts: Array<Omit<FactVersion, 'entity'>> }>();
  for (const { entity, ...fact } of facts) {
    const key = entity.toLowerCase();
    (groups.get(key) ?? groups.set(key, { entity, facts: [] }).get(key)!).facts.push(fact);
  }
  return { entities: [...groups.values()] };
}

const agentRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/entities',
  summary: 'What the agent knows about people and things: facts read from its messages, current (or every version, with validity)',
  request: { params: z.object({ id: z.string() }), query: z.object(filters) },
  responses: { 200: { description: 'Entities', content: { 'application/json': { schema: entitiesSchema } } }, 404: problemResponse('Unknown agent') },
});
const tenantRoute = createRoute({
  method: 'get',
  path: '/entities',
  summary: "The tenant's entity facts, across its agents or one crew's",
  request: { query: z.object({ ...filters, crew: z.string().min(1).max(200).optional().describe('only agents running for this crew (its id)'), tenant: z.string().min(1).max(80).optional().describe('root only: one tenant') }) },
  responses: { 200: { description: 'Entities', content: { 'application/json': { schema: entitiesSchema } } }, 400: problemResponse('Invalid query') },
});

/** GET /agents/:id/entities and GET /entities — entity memory, queryable. */
export function entityRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(agentRoute, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      await agentRow(deps, id);
      return c.json(byEntity(await listFacts(deps.db, { tenant: null, agentId: id, entity: q.entity, history: q.history === 'true', limit: q.limit })), 200);
    })
    .openapi(tenantRoute, async (c) => {
      const q = c.req.valid('query');
      const tenant = q.tenant ? tenantFor(c, q.tenant) : listTenant(c);
      return c.json(byEntity(await listFacts(deps.db, { tenant, crewId: q.crew, entity: q.entity, history: q.history === 'true', limit: q.limit })), 200);
    });
}
