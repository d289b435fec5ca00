import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { agentRow } from '../../control/views';
import { getCheckpoint, listCheckpoints, type CheckpointRow } from '../../db/checkpoints';
import { deleteCheckpoint, tagCheckpoint } from '../../db/checkpoint-admin';
import { diffCheckpoints, type CheckpointState } from '../../kernel/agent/checkpoint-diff';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';
import { rewindAgent } from '../../control/rewind';
import { problemResponse } from '../openapi-common';
import { validationHook } from '../validation';
import { principalOf } from '../auth/guard';

const summarySchema = z.object({
  id: z.string(),
  step: z.number().int(),
  runId: z.string(),
  historyEventId: z.number().nullable(),
  /** The agent's timeline (rewinds before it) when it was taken. */
  branch: z.number().int(),
  /** Set when a later rewind abandoned this checkpoint's timeline (that rewind's number). */
  abandonedBy: z.number().int().nullable(),
  status: z.string(),
  pages: z.number().int(),
  /** Labels given with PUT …/tags; a tagged checkpoint outlives the tenant's retention policy. */
  tags: z.array(z.string()),
  createdAt: z.string(),
});
const tagSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only').max(64);
const summary = (c: CheckpointRow) => {
  const state = c.state as CheckpointState;
  return { id: c.id, step: c.step, runId: c.runId, historyEventId: c.historyEventId, branch: c.branch, abandonedBy: c.abandonedBy, status: state.status, pages: state.pages.length, tags: c.tags, createdAt: c.createdAt.toISOString() };
};

const listRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints',
  summary: 'The agent’s checkpoints, one per step boundary, oldest first',
  request: { params: z.object({ id: z.string() }), query: z.object({ tag: tagSchema.optional().describe('only checkpoints carrying this tag') }) },
  responses: { 200: { description: 'Checkpoints', content: { 'application/json': { schema: z.object({ checkpoints: z.array(summarySchema) }) } } }, 404: problemResponse('Unknown agent') },
});
const readRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints/{cid}',
  summary: 'One checkpoint with its full state (page table, counters, budget)',
  request: { params: z.object({ id: z.string(), cid: z.string() }) },
  responses: { 200: { description: 'Checkpoint', content: { 'application/json': { schema: summarySchema.extend({ state: z.record(z.string(), z.unknown()) }) } } }, 404: problemResponse('Unknown') },
});
const deleteRoute = createRoute({
  method: 'delete',
  path: '/agents/{id}/checkpoints/{cid}',
  summary: 'Delete one checkpoint (it can no longer be rewound to or forked from); audited',
  request: { params: z.object({ id: z.string(), cid: z.string() }) },
  responses: { 200: { description: 'Deleted', content: { 'application/json': { schema: z.object({ deleted: z.literal(true), id: z.string() }) } } }, 404: problemResponse('Unknown') },
});
const tagsRoute = createRoute({
  method: 'put',
  path: '/agents/{id}/checkpoints/{cid}/tags',
  summary: 'Replace a checkpoint’s tags (a tagged checkpoint is kept by the retention policy)',
  request: { params: z.object({ id: z.string(), cid: z.string() }), body: { required: true, content: { 'application/json': { schema: z.object({ tags: z.array(tagSchema).max(20) }) } } } },
  responses: { 200: { description: 'Tags', content: { 'application/json': { schema: z.object({ id: z.string(), tags: z.array(z.string()) }) } } }, 400: problemResponse('Invalid tags'), 404: problemResponse('Unknown') },
});
const diffRoute = createRoute({
  method: 'get',
  path: '/agents/{id}/checkpoints/{cid}/diff/{other}',
  summary: 'What changed from one checkpoint to another',
  request: { params: z.object({ id: z.string(), cid: z.string(), other: z.string() }) },
  responses: { 200: { description: 'Diff', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, 404: problemResponse('Unknown') },
});

const rewindRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/rewind',
  summary: 'Rewind the agent to a checkpoint (Temporal workflow reset; its memory view is rewound to match)',
  request: { params: z.object({ id: z.string() }), body: { required: true, content: { 'application/json': { schema: z.object({ checkpointId: z.string().min(1) }) } } } },
  responses: {
    200: {
      description: 'Rewound',
      content: { 'application/json': { schema: z.object({ agentId: z.string(), checkpointId: z.string(), toStep: z.number().int(), branch: z.number().int(), runId: z.string(), archivedPages: z.number().int(), restoredPages: z.number().int(), copiedToForks: z.record(z.string(), z.number()) }) } },
    },
    400: problemResponse('Invalid body'),
    404: problemResponse('Unknown agent or checkpoint'),
    409: problemResponse('The checkpoint cannot be rewound to'),
    503: problemResponse('The workflow reset failed'),
  },
});

/** Checkpoint routes: list, read, diff, rewind. */
export function checkpointRoutes(deps: ApiDeps) {
  const one = async (agentId: string, cid: string) => {
    const row = await getCheckpoint(deps.db, agentId, cid);
    if (!row) throw new KernelError('not_found', `agent "${agentId}" has no checkpoint "${cid}"`);
    return row;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(listRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { tag } = c.req.valid('query');
      await agentRow(deps, id);
      const rows = await listCheckpoints(deps.db, id);
      return c.json({ checkpoints: rows.filter((r) => !tag || r.tags.includes(tag)).map(summary) }, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const { id, cid } = c.req.valid('param');
      await agentRow(deps, id);
      if (!(await deleteCheckpoint(deps.db, id, cid, principalOf(c).actor))) throw new KernelError('not_found', `agent "${id}" has no checkpoint "${cid}"`);
      return c.json({ deleted: true as const, id: cid }, 200);
    })
    .openapi(tagsRoute, async (c) => {
      const { id, cid } = c.req.valid('param');
      await agentRow(deps, id);
      const tags = await tagCheckpoint(deps.db, id, cid, c.req.valid('json').tags, principalOf(c).actor);
      if (!tags) throw new KernelError('not_found', `agent "${id}" has no checkpoint "${cid}"`);
      return c.json({ id: cid, tags }, 200);
    })
    .openapi(readRoute, async (c) => {
      const { id, cid } = c.req.valid('param');
      const row = await one(id, cid);
      return c.json({ ...summary(row), state: row.state as Record<string, unknown> }, 200);
    })
    .openapi(rewindRoute, async (c) => {
      const body = c.req.valid('json');
      return c.json(await rewindAgent(deps, c.req.valid('param').id, body.checkpointId, principalOf(c).actor), 200);
    })
    .openapi(diffRoute, async (c) => {
      const { id, cid, other } = c.req.valid('param');
      const [a, b] = [await one(id, cid), await one(id, other)];
      return c.json({ from: a.id, to: b.id, ...diffCheckpoints(a.state as CheckpointState, b.state as CheckpointState) }, 200);
    });
}
