import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { USAGE_GROUPS, usageRollup } from '../db/usage-rollup';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

const totalsSchema = z.object({
  steps: z.number().int().describe('Steps billed (replies; summaries are calls, not steps)'),
  calls: z.number().int().describe('Model calls billed'),
  promptTokens: z.number().int().describe('Every input token, cached ones included'),
  completionTokens: z.number().int().describe('Every output token, reasoning included'),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
  reasoningTokens: z.number().int(),
  costUsd: z.number(),
});
const usageSchema = totalsSchema.extend({
  tenant: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  groupBy: z.enum(USAGE_GROUPS).nullable(),
  groups: z.array(totalsSchema.extend({ key: z.string().nullable().describe('The agent id, crew id, root agent id, model or UTC day; null for agents outside any crew') })).optional(),
});

const usageQuery = z
  .object({
    groupBy: z.enum(USAGE_GROUPS).optional().describe('Roll up by agent, crew (an agent’s crew, else its nearest ancestor’s), root (of the parent/child tree), model or day (UTC)'),
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('Billed at or after (ISO date or date-time)'),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('Billed before (ISO date or date-time)'),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: '`from` must be before `to`', path: ['to'] });

const tenantUsageRoute = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/usage',
  summary: 'Tokens (by kind) and USD a tenant has been billed, from the ledger; rolled up by agent, crew, tree root, model or day',
  request: { params: z.object({ tenant: z.string().min(1).max(80) }), query: usageQuery },
  responses: { 200: { description: 'Usage: the totals, and the groups that sum to them', content: { 'application/json': { schema: usageSchema } } } },
});

const toolsRoute = createRoute({
  method: 'get',
  path: '/tools',
  summary: 'The tools agents may be allowed, with their argument schemas',
  responses: { 200: { description: 'Tools', content: { 'application/json': { schema: z.object({ tools: z.array(z.record(z.string(), z.unknown())) }) } } } },
});

/** Accounting and catalogue routes. */
export function usageRoutes(deps: ApiDeps) {
  const registry = deps.tools;
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(tenantUsageRoute, async (c) => {
      const { tenant } = c.req.valid('param');
      const q = c.req.valid('query');
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      const { totals, groups } = await usageRollup(deps.db, { tenant, from, to, groupBy: q.groupBy });
      return c.json({ tenant, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null, groupBy: q.groupBy ?? null, ...totals, ...(groups ? { groups } : {}) }, 200);
    })
    .openapi(toolsRoute, (c) => {
      const names = registry.names();
      const policies = new Map(registry.policies(names).map((p) => [p.name, p]));
      return c.json({ tools: registry.schemas(names).map((s) => ({ ...s, requiresApproval: policies.get(s.name)?.requiresApproval ?? false })) }, 200);
    });
}
