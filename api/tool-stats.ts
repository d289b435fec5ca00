import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { toolEvidence, toolStats } from '../db/tool-stats';
import { rankTools } from '../kernel/tools/suggest';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';
import { listTenant, tenantFor } from './auth/tenant';
import { agentRow } from '../control/views';
import { KernelError } from '../kernel/errors';

const when = z.iso.datetime({ offset: true }).or(z.iso.date());
const statsQuery = z
  .object({
    agent: z.string().min(1).max(200).optional().describe('one agent’s calls only'),
    tenant: z.string().min(1).max(80).optional().describe('root only: one tenant (default: every tenant for root, else your own)'),
    from: when.optional().describe('calls made at or after'),
    to: when.optional().describe('calls made before'),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: '`from` must be before `to`', path: ['to'] });

const statsView = z.object({
  tool: z.string(),
  calls: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  refused: z.number().int().describe('rejected by a person or refused by policy'),
  errorRate: z.number().nullable().describe('failed / (succeeded + failed)'),
  p50Ms: z.number().int().nullable(),
  p95Ms: z.number().int().nullable(),
  costUsd: z.null().describe('tools are not priced yet (a spawn_agent call’s sub-agent is billed as an agent)'),
  lastCalledAt: z.string(),
});

const statsRoute = createRoute({
  method: 'get',
  path: '/tools/stats',
  summary: 'Per tool: calls, outcomes, error rate and p50/p95 latency, for your tenant (or one agent) over a time window',
  request: { query: statsQuery },
  responses: { 200: { description: 'Statistics, busiest tool first', content: { 'application/json': { schema: z.object({ tools: z.array(statsView) }) } } }, 400: problemResponse('Invalid query'), 404: problemResponse('Unknown agent') },
});

const suggestRoute = createRoute({
  method: 'get',
  path: '/tools/suggest',
  summary: 'Tools ranked for a task by their past success on similar tasks (for a planner)',
  request: { query: z.object({ task: z.string().min(1).max(4_000), limit: z.coerce.number().int().min(1).max(50).default(10) }) },
  responses: {
    200: {
      description: 'Best first; tools with no calls on similar tasks are not listed',
      content: { 'application/json': { schema: z.object({ tools: z.array(z.object({ tool: z.string(), score: z.number(), successRate: z.number(), calls: z.number().int(), succeeded: z.number().int(), similarity: z.number() })) }) } },
    },
    400: problemResponse('Invalid query'),
  },
});

/** Tool statistics and suggestions, from the kernel's tool-call records (tool memory). */
export function toolStatsRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(statsRoute, async (c) => {
      const q = c.req.valid('query');
      let tenant = q.tenant ? tenantFor(c, q.tenant) : listTenant(c);
      if (q.agent) {
        const agent = await agentRow(deps, q.agent);
        if (tenant !== null && agent.tenant !== tenant) throw new KernelError('not_found', `no agent with id "${q.agent}"`);
        tenant = agent.tenant;
      }
      const stats = await toolStats(deps.db, { tenant, agentId: q.agent, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
      return c.json({ tools: stats.map((s) => ({ ...s, costUsd: null })) }, 200);
    })
    .openapi(suggestRoute, async (c) => {
      const { task, limit } = c.req.valid('query');
      return c.json({ tools: rankTools(await toolEvidence(deps.db, listTenant(c), task)).slice(0, limit) }, 200);
    });
}
