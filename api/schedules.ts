import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { controlSchedule, createSchedule, deleteSchedule, describeSchedule, listSchedules } from '../control/schedules';
import { overlapSchema, scheduleSpecSchema } from '../kernel/schedule/spec';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';
import { listTenant, tenantFor } from './auth/tenant';
import { principalOf } from './auth/guard';

const scheduleViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  tenant: z.string(),
  starts: z.enum(['agent', 'crew']),
  cron: z.string().nullable(),
  everyMs: z.number().nullable(),
  timezone: z.string(),
  overlap: overlapSchema,
  paused: z.boolean(),
  note: z.string().nullable(),
  nextFires: z.array(z.string()),
  recentFires: z.array(z.object({ scheduledAt: z.string(), takenAt: z.string(), workflowId: z.string().nullable() })),
  fires: z.number().int(),
  /** The last fire was taken more than a minute after it was due, or a due fire was never taken. */
  late: z.boolean(),
  lateByMs: z.number(),
  createdAt: z.string(),
});
const view = { content: { 'application/json': { schema: scheduleViewSchema } } };
const idParam = z.object({ id: z.string().min(1).max(200) });
const errors = { 400: problemResponse('Invalid'), 404: problemResponse('Unknown schedule'), 503: problemResponse('Temporal unavailable') };

const createRoute_ = createRoute({
  method: 'post',
  path: '/schedules',
  summary: 'Schedule an agent or a crew: cron (with a timezone) or an interval, an overlap policy and a catch-up window (a Temporal Schedule)',
  request: { body: { required: true, content: { 'application/json': { schema: scheduleSpecSchema } } } },
  responses: { 201: { description: 'Created', ...view }, ...errors },
});
const listRoute = createRoute({
  method: 'get',
  path: '/schedules',
  summary: 'Schedules, newest first, with their next and recent fires',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), offset: z.coerce.number().int().min(0).default(0) }) },
  responses: { 200: { description: 'Schedules', content: { 'application/json': { schema: z.object({ schedules: z.array(scheduleViewSchema) }) } } }, 400: errors[400] },
});
const getRoute = createRoute({ method: 'get', path: '/schedules/{id}', summary: 'A schedule: next fires, recent fires, and whether it is late', request: { params: idParam }, responses: { 200: { description: 'The schedule', ...view }, ...errors } });
const action = (name: 'pause' | 'unpause' | 'trigger', summary: string) =>
  createRoute({
    method: 'post',
    path: `/schedules/{id}/${name}`,
    summary,
    request: { params: idParam, body: { required: false, content: { 'application/json': { schema: z.object({ note: z.string().max(500).optional() }) } } } },
    responses: { 200: { description: 'Done', ...view }, ...errors },
  });
const deleteRoute = createRoute({ method: 'delete', path: '/schedules/{id}', summary: 'Delete a schedule (runs it started go on)', request: { params: idParam }, responses: { 204: { description: 'Deleted' }, ...errors } });

/** Schedule routes. */
export function scheduleRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
    .openapi(createRoute_, async (c) => {
      const s = await createSchedule(deps, { ...c.req.valid('json'), tenant: tenantFor(c, c.req.valid('json').tenant) }, principalOf(c).actor);
      c.header('location', `/schedules/${s.id}`);
      return c.json(s, 201);
    })
    .openapi(listRoute, async (c) => {
      const { limit, offset } = c.req.valid('query');
      return c.json({ schedules: await listSchedules(deps, limit, offset, listTenant(c)) }, 200);
    })
    .openapi(getRoute, async (c) => c.json(await describeSchedule(deps, c.req.valid('param').id), 200))
    .openapi(deleteRoute, async (c) => {
      await deleteSchedule(deps, c.req.valid('param').id, principalOf(c).actor);
      return c.body(null, 204);
    });
  for (const [name, summary] of [['pause', 'Pause a schedule'], ['unpause', 'Unpause a schedule'], ['trigger', 'Fire a schedule now']] as const) {
    app.openapi(action(name, summary), async (c) => {
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined;
      return c.json(await controlSchedule(deps, c.req.valid('param').id, name, body?.note, principalOf(c).actor), 200);
    });
  }
  return app;
}
