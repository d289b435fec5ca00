import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { ledgerTotals } from '../db/ledger';
import { usageLedger } from '../db/schema';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

const usageSchema = z.object({ tenant: z.string(), steps: z.number().int(), promptTokens: z.number().int(), completionTokens: z.number().int(), costUsd: z.number() });

const tenantUsageRoute = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/usage',
  summary: 'Tokens and USD a tenant has spent, from the per-step ledger',
  request: { params: z.object({ tenant: z.string().min(1).max(80) }) },
  responses: { 200: { description: 'Usage', content: { 'application/json': { schema: usageSchema } } } },
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
      const { steps, spend } = await ledgerTotals(deps.db, eq(usageLedger.tenant, tenant));
      return c.json({ tenant, steps, ...spend }, 200);
    })
    .openapi(toolsRoute, (c) => {
      const names = registry.names();
      const policies = new Map(registry.policies(names).map((p) => [p.name, p]));
      return c.json({ tools: registry.schemas(names).map((s) => ({ ...s, requiresApproval: policies.get(s.name)?.requiresApproval ?? false })) }, 200);
    });
}
