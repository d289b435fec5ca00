import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { getAgentRecord } from '../../db/agents';
import { getCheckpoint, listCheckpoints, type CheckpointRow } from '../../db/checkpoints';
import { diffCheckpoints, type CheckpointState } from '../../kernel/agent/checkpoint-diff';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';

const summarySchema = z.object({ id: z.string(), step: z.number().int(), runId: z.string(), historyEventId: z.number().nullable(), status: z.string(), pages: z.number().int(), createdAt: z.string() });
const summary = (c: CheckpointRow) => {
  const state = c.state as CheckpointState;
  return { id: c.id, step: c.step, runId: c.runId, historyEventId: c.historyEventId, status: state.status, pages: state.pages.length, createdAt: c.createdAt.toISOString() };
};

const listRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints',
  summary: 'The agent’s checkpoints, one per step boundary, oldest first',
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: 'Checkpoints', content: { 'application/json': { schema: z.object({ checkpoints: z.array(summarySchema) }) } } }, 404: problemResponse('Unknown agent') },
});
const readRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints/{cid}',
  summary: 'One checkpoint with its full state (page table, counters, budget)',
  request: { params: z.object({ id: z.string(), cid: z.string() }) },
  responses: { 200: { description: 'Checkpoint', content: { 'application/json': { schema: summarySchema.extend({ state: z.record(z.string(), z.unknown()) }) } } }, 404: problemResponse('Unknown') },
});
const diffRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints/{cid}/diff/{other}',
  summary: 'What changed from one checkpoint to another',
  request: { params: z.object({ id: z.string(), cid: z.string(), other: z.string() }) },
  responses: { 200: { description: 'Diff', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, 404: problemResponse('Unknown') },
});

/** Checkpoint routes: list, read, diff. */
export function checkpointRoutes(deps: ApiDeps) {
  const one = async (agentId: string, cid: string) => {
    const row = await getCheckpoint(deps.db, agentId, cid);
    if (!row) throw new KernelError('not_found', `agent "${agentId}" has no checkpoint "${cid}"`);
    return row;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(listRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await getAgentRecord(deps.db, id))) throw new KernelError('not_found', `no agent with id "${id}"`);
      return c.json({ checkpoints: (await listCheckpoints(deps.db, id)).map(summary) }, 200);
    })
    .openapi(readRoute, async (c) => {
      const { id, cid } = c.req.valid('param');
      const row = await one(id, cid);
      return c.json({ ...summary(row), state: row.state as Record<string, unknown> }, 200);
    })
    .openapi(diffRoute, async (c) => {
      const { id, cid, other } = c.req.valid('param');
      const [a, b] = [await one(id, cid), await one(id, other)];
      return c.json({ from: a.id, to: b.id, ...diffCheckpoints(a.state as CheckpointState, b.state as CheckpointState) }, 200);
    });
}
