import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { eventTypeFilter, tenantEventFilter } from '../db/event-filter';
import { parseTypePatterns } from '../kernel/events/type-filter';
import { listTenant } from './auth/tenant';
import type { ApiDeps } from './deps';
import { streamEvents } from './event-stream';
import { problemResponse } from './openapi-common';

/**
 * `GET /events?types=agent.*,tool.completed`: every event of the caller's tenant (its agents and
 * crews; every tenant for root) as Server-Sent Events, filtered by type, from now (or from
 * `Last-Event-ID` / `?after=`, resumable), until the client leaves. Each event names its agent.
 */
export function tenantEventRoutes(deps: ApiDeps) {
  return new Hono().get('/events', async (c) => {
    const patterns = parseTypePatterns(c.req.query('types'));
    const tenant = listTenant(c);
    const filters = [tenant === null ? undefined : tenantEventFilter(tenant), eventTypeFilter(patterns)].filter((f): f is SQL => f !== undefined);
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
