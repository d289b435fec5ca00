import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { getRetention, setRetention, type RetentionPolicy } from '../db/retention';
import { principalOf } from './auth/guard';
import { tenantFor } from './auth/tenant';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';

const days = z.number().int().min(0).max(36_500).nullable();
const policySchema = z.object({
  tenant: z.string(),
  finishedAgentDays: days.describe("erase a finished agent's content this many days after it finished (null: keep)"),
  checkpointDays: days.describe('delete untagged checkpoints this many days after they were taken (null: keep)'),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
const view = (tenant: string, p: RetentionPolicy | undefined) => ({ tenant, finishedAgentDays: p?.finishedAgentDays ?? null, checkpointDays: p?.checkpointDays ?? null, updatedBy: p?.updatedBy ?? null, updatedAt: p?.updatedAt.toISOString() ?? null });
const tenantQuery = z.object({ tenant: z.string().min(1).max(80).optional().describe('root only: another tenant') });

const getRoute = createRoute({
  method: 'get',
  path: '/retention',
  summary: "The tenant's retention policy (applied hourly by a Temporal Schedule)",
  request: { query: tenantQuery },
  responses: { 200: { description: 'Policy', content: { 'application/json': { schema: policySchema } } }, 403: problemResponse('Another tenant') },
});
const putRoute = createRoute({
  method: 'put',
  path: '/retention',
  summary: "Set the tenant's retention policy (admin); audited with the old and new values",
  request: {
    query: tenantQuery,
    body: { required: true, content: { 'application/json': { schema: z.object({ finishedAgentDays: days, checkpointDays: days }).strict() } } },
  },
  responses: { 200: { description: 'Policy', content: { 'application/json': { schema: policySchema } } }, 400: problemResponse('Invalid policy'), 403: problemResponse('Another tenant') },
});

/** GET/PUT /retention — how long a tenant keeps finished agents' content and checkpoints. */
export function retentionRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(getRoute, async (c) => {
      const tenant = tenantFor(c, c.req.valid('query').tenant);
      return c.json(view(tenant, await getRetention(deps.db, tenant)), 200);
    })
    .openapi(putRoute, async (c) => {
      const tenant = tenantFor(c, c.req.valid('query').tenant);
      const row = await setRetention(deps.db, tenant, c.req.valid('json'), principalOf(c).actor);
      return c.json(view(tenant, row), 200);
    });
}
