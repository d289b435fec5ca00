import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { deleteAgent } from '../../control/delete-agent';
import { getAgentRecord, isCrewOwner } from '../../db/agents';
import { KernelError } from '../../kernel/errors';
import { principalOf } from '../auth/guard';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';

const deletionSchema = z.object({
  agentId: z.string(),
  pages: z.number().int(),
  checkpoints: z.number().int(),
  events: z.number().int(),
  toolCalls: z.number().int(),
  memories: z.number().int(),
  forksCopied: z.array(z.string()).describe('forks that read its pages and now hold their own copy'),
  alreadyErased: z.boolean(),
  history: z.union([z.object({ deleted: z.number().int() }), z.object({ pending: z.string() })]).describe('its Temporal executions: deleted, or pending (retried by the retention schedule)'),
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/agents/{id}',
  summary: 'Delete a finished agent: its pages, embeddings, checkpoints, events, tool calls, memories and Temporal history (the ledger keeps its billing rows)',
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: 'Deleted (or deleted before: alreadyErased)', content: { 'application/json': { schema: deletionSchema } } },
    404: problemResponse('Unknown agent'),
    409: problemResponse('The agent is live: kill it first'),
  },
});

/** DELETE /agents/:id — forgetting an agent for real. */
export function agentDeleteRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await getAgentRecord(deps.db, id);
    if (!row || isCrewOwner(row)) throw new KernelError('not_found', `no agent with id "${id}"`);
    const warn = (message: string, fields: Record<string, unknown>) => deps.logger.warn(fields, message);
    return c.json(await deleteAgent({ db: deps.db, client: deps.client, warn }, id, principalOf(c).actor), 200);
  });
}
