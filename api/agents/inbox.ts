import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { agentRow } from '../../control/views';
import { contextPages } from '../../db/schema';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';

const messageView = z.object({
  pageId: z.string(),
  from: z.string().describe('the sending agent'),
  fromName: z.string().nullable(),
  text: z.string(),
  step: z.number().int().describe('the step it arrived for'),
  at: z.string(),
});

const inboxRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/inbox',
  summary: 'Messages other agents sent this agent with send_message, oldest first',
  request: { params: z.object({ id: z.string().min(1).max(200) }) },
  responses: { 200: { description: 'The inbox', content: { 'application/json': { schema: z.object({ messages: z.array(messageView) }) } } }, 404: problemResponse('Unknown agent') },
});

/** An agent's inbox: the message pages other agents wrote for it. */
export function inboxRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(inboxRoute, async (c) => {
    const { id } = c.req.valid('param');
    await agentRow(deps, id);
    const rows = await deps.db
      .select({ id: contextPages.id, step: contextPages.step, body: contextPages.body, meta: contextPages.meta, at: contextPages.createdAt })
      .from(contextPages)
      .where(and(eq(contextPages.agentId, id), sql`${contextPages.meta}->>'from' is not null`))
      .orderBy(asc(contextPages.createdAt));
    return c.json({
      messages: rows.map((r) => {
        const meta = r.meta as { from: string; fromName?: string };
        return { pageId: r.id, from: meta.from, fromName: meta.fromName ?? null, text: r.body.replace(/^\[message from agent [^\n]*\]\n/, ''), step: r.step, at: r.at.toISOString() };
      }),
    }, 200);
  });
}
