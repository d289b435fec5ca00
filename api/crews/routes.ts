import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { approveInCrew, crewRow, decideGate, describeCrew } from '../../control/crew-views';
import { cancelCrew, createCrew, crewRows, forkCrew, retryCrewNode } from '../../control/crews';
import { crewSpecSchema, nodeIdSchema } from '../../kernel/crew/spec';
import { crewViewSchema } from '../../kernel/crew/view';
import type { ApiDeps } from '../deps';
import { streamEvents } from '../event-stream';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';
import { listTenant, tenantFor } from '../auth/tenant';
import { refuseOverDailySpend } from '../auth/caps';
import { principalOf } from '../auth/guard';

const crewParam = z.object({ id: z.string().min(1).max(200) });
const nodeParam = crewParam.extend({ node: nodeIdSchema });
const json = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const view = { content: { 'application/json': { schema: crewViewSchema } } };
const errors = { 400: problemResponse('Invalid body or crew graph (the problem names the nodes)'), 404: problemResponse('Unknown crew or node'), 409: problemResponse('Not in a state that allows it'), 503: problemResponse('Temporal unavailable') };

const createCrewRoute = createRoute({
  method: 'post',
  path: '/crews',
  summary: 'Create a crew: a DAG of agents (and gates, waits, fan-outs) run as one durable workflow',
  request: json(crewSpecSchema),
  responses: { 201: { description: 'Created and started', ...view }, ...errors },
});

const listRoute = createRoute({
  method: 'get',
  path: '/crews',
  summary: 'Crews, newest first',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), offset: z.coerce.number().int().min(0).default(0) }) },
  responses: { 200: { description: 'Crews', content: { 'application/json': { schema: z.object({ crews: z.array(crewViewSchema) }) } } }, 400: errors[400] },
});

const getRoute = createRoute({
  method: 'get',
  path: '/crews/{id}',
  summary: 'A crew: every node of its current run with status, timings, spend and result reference',
  request: { params: crewParam },
  responses: { 200: { description: 'The crew', ...view }, 404: errors[404] },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/crews/{id}/cancel',
  summary: 'Cancel a running crew: its running agents are cancelled, what never ran is skipped',
  request: { params: crewParam, body: { required: false, content: { 'application/json': { schema: z.object({}) } } } },
  responses: { 202: { description: 'Cancelling', content: { 'application/json': { schema: z.object({ accepted: z.literal(true) }) } } }, ...errors },
});

const gateRoute = createRoute({
  method: 'post',
  path: '/crews/{id}/gates/{node}',
  summary: 'Open (approve) or close (reject) a gate node that waits in the crew’s current run',
  request: { params: nodeParam, ...json(z.object({ approved: z.boolean(), reason: z.string().max(1_000).optional() })) },
  responses: { 200: { description: 'Decided', content: { 'application/json': { schema: z.object({ node: z.string(), approved: z.boolean() }) } } }, ...errors },
});

const approvalRoute = createRoute({
  method: 'post',
  path: '/crews/{id}/nodes/{node}/approvals',
  summary: 'Approve or reject the pending tool call of the agent running a node (bound to crew run, node and call id)',
  request: { params: nodeParam, ...json(z.object({ callId: z.string().min(1).max(300), approved: z.boolean(), reason: z.string().max(1_000).optional() })) },
  responses: { 200: { description: 'Decided', content: { 'application/json': { schema: z.object({ callId: z.string(), approved: z.boolean(), agentId: z.string() }) } } }, ...errors },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/crews/{id}/nodes/{node}/retry',
  summary: 'Retry a node of a finished crew: a new run re-runs it and what depends on it, reusing what came before',
  request: { params: nodeParam, body: { required: false, content: { 'application/json': { schema: z.object({}) } } } },
  responses: { 202: { description: 'A new run started', content: { 'application/json': { schema: z.object({ crewId: z.string(), run: z.number().int(), rerun: z.array(z.string()) }) } } }, ...errors },
});

const forkRoute = createRoute({
  method: 'post',
  path: '/crews/{id}/fork',
  summary: 'Fork a finished crew from a node: a new crew reusing every result before it',
  request: { params: crewParam, ...json(z.object({ from: nodeIdSchema, name: z.string().trim().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/).optional() })) },
  responses: { 201: { description: 'The fork', ...view }, ...errors },
});

/** Crew routes: create, read, follow, cancel, gates, approvals inside branches, retry, fork. */
export function crewRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/crews/{id}/events',
    summary: 'Server-Sent Events of a crew: node.started, node.waiting, node.completed, node.failed, node.skipped, crew.finished',
    request: { params: crewParam, query: z.object({ after: z.string().regex(/^\d{1,15}$/).optional() }) },
    responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, 400: errors[400], 404: errors[404] },
  });
  return app
    .openapi(createCrewRoute, async (c) => {
      const tenant = tenantFor(c, c.req.valid('json').tenant);
      await refuseOverDailySpend(deps, tenant);
      const id = await createCrew(deps, { ...c.req.valid('json'), tenant }, { actor: principalOf(c).actor });
      c.header('location', `/crews/${id}`);
      return c.json(await describeCrew(deps, id), 201);
    })
    .openapi(listRoute, async (c) => {
      const { limit, offset } = c.req.valid('query');
      const rows = await crewRows(deps, limit, offset, 'crew', listTenant(c));
      return c.json({ crews: await Promise.all(rows.map((r) => describeCrew(deps, r.id))) }, 200);
    })
    .openapi(getRoute, async (c) => c.json(await describeCrew(deps, c.req.valid('param').id), 200))
    .openapi(cancelRoute, async (c) => {
      await cancelCrew(deps, c.req.valid('param').id, principalOf(c).actor);
      return c.json({ accepted: true as const }, 202);
    })
    .openapi(gateRoute, async (c) => {
      const { id, node } = c.req.valid('param');
      const p = principalOf(c);
      return c.json(await decideGate(deps, id, { node, ...c.req.valid('json'), approver: p.actor }, p.agentId), 200);
    })
    .openapi(approvalRoute, async (c) => {
      const { id, node } = c.req.valid('param');
      const p = principalOf(c);
      return c.json(await approveInCrew(deps, id, node, { ...c.req.valid('json'), approver: p.actor }, p.agentId), 200);
    })
    .openapi(retryRoute, async (c) => {
      const { id, node } = c.req.valid('param');
      return c.json(await retryCrewNode(deps, id, node, principalOf(c).actor), 202);
    })
    .openapi(forkRoute, async (c) => {
      const body = c.req.valid('json');
      const id = await forkCrew(deps, c.req.valid('param').id, body.from, body.name, principalOf(c).actor);
      c.header('location', `/crews/${id}`);
      return c.json(await describeCrew(deps, id), 201);
    })
    .get('/crews/:id/events', async (c) => {
      const crew = await crewRow(deps, c.req.param('id'));
      return streamEvents(deps, c, { id: crew.id, terminalKind: 'crew.finished' });
    });
}
