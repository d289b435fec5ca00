import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { crewRow, describeCrew } from '../../control/crew-views';
import { cancelCrew, createCrew, crewRows } from '../../control/crews';
import { modelSpecSchema } from '../../kernel/llm/model-spec';
import { agentTemplateSchema, crewSpecSchema, MAX_FOREACH_ITEMS } from '../../kernel/crew/spec';
import { crewViewSchema } from '../../kernel/crew/view';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';
import { listTenant, tenantFor } from '../auth/tenant';
import { refuseOverDailySpend } from '../auth/caps';
import { principalOf } from '../auth/guard';

/** The body of `POST /batches`: one agent template run over a list of inputs (`{{item}}` in its input), under a concurrency cap. */
export const batchSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'name may hold letters, digits, spaces, "_", "." and "-"'),
    tenant: z.string().trim().min(1).max(80).default('default'),
    model: modelSpecSchema.optional(),
    budget: z.object({ maxTotalTokens: z.number().int().min(1).nullable().default(null), maxCostUsd: z.number().positive().nullable().default(null) }).strict().optional(),
    concurrency: z.number().int().min(1).max(100).default(10),
    /** Retries per failed item. */
    retries: z.number().int().min(0).max(10).default(0),
    template: agentTemplateSchema,
    inputs: z.array(z.string().min(1).max(100_000)).min(1).max(MAX_FOREACH_ITEMS),
  })
  .strict();

const idParam = z.object({ id: z.string().min(1).max(200) });
const view = { content: { 'application/json': { schema: crewViewSchema } } };

const createRoute_ = createRoute({
  method: 'post',
  path: '/batches',
  summary: 'Spawn one agent per input from one template, a few at a time; one id to follow, cancel and total',
  request: { body: { required: true, content: { 'application/json': { schema: batchSpecSchema } } } },
  responses: { 201: { description: 'Started', ...view }, 400: problemResponse('Invalid body'), 503: problemResponse('Temporal unavailable') },
});
const getRoute = createRoute({
  method: 'get',
  path: '/batches/{id}',
  summary: 'A batch: its items done, failed and running, and what they cost',
  request: { params: idParam },
  responses: { 200: { description: 'The batch', ...view }, 404: problemResponse('Unknown batch') },
});
const listRoute = createRoute({
  method: 'get',
  path: '/batches',
  summary: 'Batches, newest first',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), offset: z.coerce.number().int().min(0).default(0) }) },
  responses: { 200: { description: 'Batches', content: { 'application/json': { schema: z.object({ batches: z.array(crewViewSchema) }) } } }, 400: problemResponse('Invalid query') },
});
const cancelRoute = createRoute({
  method: 'post',
  path: '/batches/{id}/cancel',
  summary: 'Cancel a batch: running items are cancelled, the rest never start',
  request: { params: idParam },
  responses: { 202: { description: 'Cancelling', content: { 'application/json': { schema: z.object({ accepted: z.literal(true) }) } } }, 404: problemResponse('Unknown batch'), 409: problemResponse('Not running') },
});

async function batchOr404(deps: ApiDeps, id: string) {
  const crew = await crewRow(deps, id);
  if (crew.kind !== 'batch') throw new KernelError('not_found', `no batch with id "${id}" (it is a crew: see /crews/${id})`);
  return crew;
}

/** Batch routes: a batch is a crew of one foreach node over the given inputs. */
export function batchRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(createRoute_, async (c) => {
      const b = c.req.valid('json');
      await refuseOverDailySpend(deps, tenantFor(c, b.tenant));
      const spec = crewSpecSchema.parse({
        name: b.name,
        tenant: tenantFor(c, b.tenant),
        model: b.model,
        budget: b.budget,
        nodes: [{ id: 'items', kind: 'foreach', onFailure: b.retries > 0 ? { retry: b.retries } : 'continue', foreach: { items: b.inputs, concurrency: b.concurrency, agent: b.template } }],
      });
      const id = await createCrew(deps, spec, { kind: 'batch', actor: principalOf(c).actor });
      c.header('location', `/batches/${id}`);
      return c.json(await describeCrew(deps, id), 201);
    })
    .openapi(getRoute, async (c) => {
      const crew = await batchOr404(deps, c.req.valid('param').id);
      return c.json(await describeCrew(deps, crew.id), 200);
    })
    .openapi(listRoute, async (c) => {
      const { limit, offset } = c.req.valid('query');
      return c.json({ batches: await Promise.all((await crewRows(deps, limit, offset, 'batch', listTenant(c))).map((r) => describeCrew(deps, r.id))) }, 200);
    })
    .openapi(cancelRoute, async (c) => {
      const crew = await batchOr404(deps, c.req.valid('param').id);
      await cancelCrew(deps, crew.id, principalOf(c).actor);
      return c.json({ accepted: true as const }, 202);
    });
}
