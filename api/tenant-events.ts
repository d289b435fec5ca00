import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { like, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { agentEvents, agents, crews } from '../db/schema';
import { parseTypePatterns, type TypePattern } from '../kernel/events/type-filter';
import { listTenant } from './auth/tenant';
import type { ApiDeps } from './deps';
import { streamEvents } from './event-stream';
import { problemResponse } from './openapi-common';

/** The SQL condition for event types matching the patterns (a family by prefix, `_` and `%` escaped). */
function kindFilter(patterns: readonly TypePattern[]): SQL | undefined {
  if (patterns.some((p) => p.kind === 'all')) return undefined;
  const esc = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return or(...patterns.map((p) => (p.kind === 'exact' ? sql`${agentEvents.kind} = ${p.type}` : like(agentEvents.kind, `${esc(p.kind === 'prefix' ? p.prefix : '')}%`))));
}

/**
 * `GET /events?types=agent.*,tool.completed`: every event of the caller's tenant (its agents and
 * crews; every tenant for root) as Server-Sent Events, filtered by type, from now (or from
 * `Last-Event-ID` / `?after=`, resumable), until the client leaves. Each event names its agent.
 */
export function tenantEventRoutes(deps: ApiDeps) {
  return new Hono().get('/events', async (c) => {
    const patterns = parseTypePatterns(c.req.query('types'));
    const tenant = listTenant(c);
    const owned = tenant === null ? undefined : sql`(${agentEvents.agentId} in (select ${agents.id} from ${agents} where ${agents.tenant} = ${tenant}) or ${agentEvents.agentId} in (select ${crews.id} from ${crews} where ${crews.tenant} = ${tenant}))`;
    const filters = [owned, kindFilter(patterns)].filter((f): f is SQL => f !== undefined);
    return streamEvents(deps, c, { where: filters.length ? sql.join(filters, sql` and `) : sql`true`, named: true, fromNow: true });
  });
}

/** The tenant event stream, described for /openapi.json (its handler answers with a stream). */
export function registerTenantEventsDoc(app: OpenAPIHono) {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/events',
    summary: "Server-Sent Events of the tenant's agents and crews, filtered by type (agent.*, tool.completed, …)",
    description: 'From now, or the backlog after Last-Event-ID (or ?after=; 0 for all history), then live events until the client leaves. Each event carries its agentId. A comment line follows every 5 s of quiet.',
    request: {
      query: z.object({ types: z.string().max(2_000).optional().describe('comma-separated: a type, a family (agent.*) or *'), after: z.string().regex(/^\d{1,15}$/).optional() }),
      headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/).optional() }),
    },
    responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, 400: problemResponse('Invalid types or cursor') },
  });
}
