import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';
import { decideToolCall, listToolCalls, raiseBudget, sendMessage, setPriority, signalLifecycle } from '../../control/steer';
import { streamAgentEvents } from './events';
import { forkAgent } from '../../control/fork';
import { migrateAgent } from '../../control/migrate';
import { agentViewSchema } from '../../kernel/agent/view';
import { agentMetrics, stepMetricsSchema } from './metrics';
import { principalOf } from '../auth/guard';

const idParam = z.object({ id: z.string().min(1).max(200) });
const accepted = { content: { 'application/json': { schema: z.object({ accepted: z.literal(true) }) } } };
const errors = { 400: problemResponse('Invalid body'), 404: problemResponse('Unknown agent'), 409: problemResponse('Not running, or refused') };
const json = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

function lifecycleRoute(action: 'pause' | 'resume' | 'kill', summary: string) {
  return createRoute({
    method: 'post',
    path: `/agents/{id}/${action}`,
    summary,
    request: { params: idParam, ...json(z.object({ reason: z.string().max(500).optional() })) },
    responses: { 202: { description: 'Signalled', ...accepted }, ...errors },
  });
}

const messageRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/messages',
  summary: 'Send a message into the agent’s next step (stored in Postgres, signalled by reference)',
  request: { params: idParam, ...json(z.object({ text: z.string().min(1).max(1_000_000) })) },
  responses: { 202: { description: 'Queued', content: { 'application/json': { schema: z.object({ pageId: z.string() }) } } }, ...errors },
});

const priorityRoute = createRoute({
  method: 'put',
  path: '/agents/{id}/priority',
  summary: 'Change the agent’s scheduling priority (1 most urgent … 10)',
  request: { params: idParam, ...json(z.object({ priority: z.number().int().min(1).max(10) })) },
  responses: { 200: { description: 'Changed', content: { 'application/json': { schema: z.object({ priority: z.number().int() }) } } }, ...errors },
});

const approvalRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/approvals',
  summary: 'Approve or reject the pending tool call, by its exact call id',
  request: { params: idParam, ...json(z.object({ callId: z.string().min(1), approved: z.boolean(), reason: z.string().max(1000).optional() })) },
  responses: { 200: { description: 'Decided', content: { 'application/json': { schema: z.object({ callId: z.string(), approved: z.boolean() }) } } }, ...errors },
});

const budgetRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/budget',
  summary: 'Raise the agent’s budget (a budget-suspended agent resumes)',
  request: { params: idParam, ...json(z.object({ maxTotalTokens: z.number().int().positive().nullable().optional(), maxCostUsd: z.number().positive().nullable().optional() })) },
  responses: { 200: { description: 'New budget', content: { 'application/json': { schema: z.object({ maxTotalTokens: z.number().nullable(), maxCostUsd: z.number().nullable() }) } } }, ...errors },
});

const toolCallsRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/tool-calls',
  summary: 'Every tool call of the agent (tool memory)',
  request: { params: idParam },
  responses: { 200: { description: 'Tool calls', content: { 'application/json': { schema: z.object({ toolCalls: z.array(z.record(z.string(), z.unknown())) }) } } }, 404: errors[404] },
});

const forkRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/fork',
  summary: 'Fork the agent at a step: a new agent sharing its pages up to there, and only its own after',
  request: { params: idParam, ...json(z.object({ step: z.number().int().min(0).optional(), checkpointId: z.string().min(1).optional(), name: z.string().min(1).max(80).optional(), input: z.string().min(1).max(1_000_000).optional() })) },
  responses: { 201: { description: 'The fork', content: { 'application/json': { schema: agentViewSchema } } }, ...errors },
});

const migrateRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/migrate',
  summary: 'Move the agent to another node at its next step boundary (continue-as-new onto that node’s queue)',
  request: { params: idParam, ...json(z.object({ node: z.string().min(1).max(200) })) },
  responses: { 202: { description: 'Move requested', content: { 'application/json': { schema: z.object({ agentId: z.string(), from: z.string().nullable(), to: z.string() }) } } }, ...errors },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/metrics',
  summary: 'Per-step memory metrics: window tokens by kind, pages in/out, page faults, retrieval latency, pressure, prefix stability',
  request: { params: idParam },
  responses: { 200: { description: 'Metrics', content: { 'application/json': { schema: z.object({ steps: z.array(stepMetricsSchema) }) } } }, 404: errors[404] },
});

/** Signals, updates and streams that steer a running agent. */
export function agentControlRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  for (const [action, summary] of [['pause', 'Suspend at the next step boundary'], ['resume', 'Resume a paused agent'], ['kill', 'Terminate: cancels an in-flight step']] as const) {
    app.openapi(lifecycleRoute(action, summary), async (c) => {
      const body = c.req.valid('json');
      await signalLifecycle(deps, c.req.valid('param').id, action, body.reason, principalOf(c).actor);
      return c.json({ accepted: true as const }, 202);
    });
  }
  return app
    .openapi(messageRoute, async (c) => c.json(await sendMessage(deps, c.req.valid('param').id, c.req.valid('json').text), 202))
    .openapi(priorityRoute, async (c) => c.json({ priority: await setPriority(deps, c.req.valid('param').id, c.req.valid('json').priority) }, 200))
    .openapi(approvalRoute, async (c) => {
      const p = principalOf(c);
      return c.json(await decideToolCall(deps, c.req.valid('param').id, { ...c.req.valid('json'), approver: p.actor }, p.agentId), 200);
    })
    .openapi(budgetRoute, async (c) => {
      const body = c.req.valid('json');
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      return c.json(await raiseBudget(deps, c.req.valid('param').id, patch), 200);
    })
    .openapi(toolCallsRoute, async (c) => c.json({ toolCalls: await listToolCalls(deps, c.req.valid('param').id) }, 200))
    .openapi(forkRoute, async (c) => {
      const view = await forkAgent(deps, c.req.valid('param').id, c.req.valid('json'));
      c.header('location', `/agents/${view.id}`);
      return c.json(view, 201);
    })
    .openapi(migrateRoute, async (c) => {
      const body = c.req.valid('json');
      return c.json(await migrateAgent(deps, c.req.valid('param').id, body.node, principalOf(c).actor), 202);
    })
    .openapi(metricsRoute, async (c) => c.json({ steps: await agentMetrics(deps, c.req.valid('param').id) }, 200))
    .get('/agents/:id/events', (c) => streamAgentEvents(deps, c, c.req.param('id')));
}

/** The event stream, described for /openapi.json (its handler is a plain route: it answers with a stream). */
export function registerEventStreamDoc(app: OpenAPIHono) {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/agents/{id}/events',
    summary: 'Server-Sent Events of an agent: step.started, token, step.completed, tool.completed, agent.status, agent.finished',
    description: 'The backlog after Last-Event-ID (or ?after=), then live events until agent.finished. A comment line (": keep-alive") follows every 5 s of quiet.',
    request: {
      params: idParam,
      query: z.object({ after: z.string().regex(/^\d{1,15}$/).optional() }),
      headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/).optional() }),
    },
    responses: {
      200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
      400: errors[400],
      404: errors[404],
    },
  });
}
