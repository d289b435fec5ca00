import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { effectiveStatus, listNodes } from '../db/nodes';
import { PROVIDERS } from '../kernel/llm/task-queue';
import { noteDatabaseUnreachable } from './db-outage';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

/** How long one readiness check may take before it counts as down (readiness answers within ~2 s). */
const CHECK_DEADLINE_MS = 1_500;
/** A poller Temporal saw this recently is a worker polling (an idle long poll renews about every minute). */
const POLLER_FRESH_MS = 90_000;
const startedAt = Date.now();

const checkSchema = z.object({ status: z.enum(['ok', 'down']), ms: z.number(), detail: z.string().optional() });
const healthSchema = z.object({ status: z.enum(['ok', 'degraded']), checks: z.object({ database: z.enum(['ok', 'down']), temporal: z.enum(['ok', 'down']) }) });
const readySchema = z.object({
  status: z.enum(['ready', 'unready']),
  checks: z.object({ database: checkSchema, temporal: checkSchema, workers: checkSchema }),
  queues: z.array(z.object({ queue: z.string(), type: z.enum(['workflow', 'activity']), pollers: z.number().int() })),
  nodes: z.array(z.object({ id: z.string(), status: z.string(), providers: z.record(z.string(), z.string()) })).describe('live nodes and their provider circuits (closed / open / half-open)'),
  config: z.object({ version: z.number().int().nullable(), lastError: z.string().nullable(), restartRequired: z.array(z.string()) }).nullable().describe('the live config this process runs (a refused file does not make it unready)'),
});

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  security: [],
  summary: 'Whether the database and Temporal answer (503 when either does not); see /livez and /readyz',
  responses: {
    200: { description: 'Both answer', content: { 'application/json': { schema: healthSchema } } },
    503: { description: 'Degraded', content: { 'application/json': { schema: healthSchema } } },
  },
});
const livezRoute = createRoute({
  method: 'get',
  path: '/livez',
  security: [],
  summary: 'Liveness: the process answers (no dependency is asked)',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), uptimeS: z.number() }) } } } },
});
const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  security: [],
  summary: 'Readiness: the database and Temporal answer and a worker polls every queue the kernel needs (per-check detail and latency; 503 when not)',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readySchema } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: readySchema } } },
  },
});

/** Runs a check under the deadline: ok with its latency, or down with why. */
async function timed<T>(fn: () => Promise<T>): Promise<{ status: 'ok' | 'down'; ms: number; detail?: string; value?: T }> {
  const t = performance.now();
  // A check that outlives its deadline must not end later as an unhandled rejection.
  const work = fn();
  work.catch(() => undefined);
  try {
    const value = await Promise.race([work, Bun.sleep(CHECK_DEADLINE_MS).then(() => Promise.reject(new Error(`no answer within ${CHECK_DEADLINE_MS} ms`)))]);
    return { status: 'ok', ms: Math.round(performance.now() - t), value };
  } catch (err) {
    return { status: 'down', ms: Math.round(performance.now() - t), detail: err instanceof Error ? err.message : String(err) };
  }
}

/** The queues a kernel needs polled: its shared queue (workflows and activities) and each provider's model-call queue. */
function neededQueues(taskQueue: string): Array<{ queue: string; type: 'workflow' | 'activity' }> {
  return [{ queue: taskQueue, type: 'workflow' }, { queue: taskQueue, type: 'activity' }, ...PROVIDERS.map((p) => ({ queue: `${taskQueue}.llm.${p}`, type: 'activity' as const }))];
}

/** GET /health, /livez and /readyz — probes an orchestrator can use. */
export function healthRoutes(deps: ApiDeps) {
  const configStatus = () => {
    const s = deps.config?.live.status();
    return s ? { version: s.version, lastError: s.lastError, restartRequired: s.restartRequired } : null;
  };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(healthRoute, async (c) => {
      const [database, temporal] = await Promise.all([timed(() => deps.db.execute(sql`select 1`)), timed(() => deps.client.connection.withDeadline(Date.now() + CHECK_DEADLINE_MS, () => deps.client.workflowService.getSystemInfo({})))]);
      if (database.status === 'down') noteDatabaseUnreachable();
      const ok = database.status === 'ok' && temporal.status === 'ok';
      if (!ok) c.header('retry-after', '5');
      return c.json({ status: ok ? ('ok' as const) : ('degraded' as const), checks: { database: database.status, temporal: temporal.status } }, ok ? 200 : 503);
    })
    .openapi(livezRoute, (c) => c.json({ status: 'ok' as const, uptimeS: Math.round((Date.now() - startedAt) / 1000) }, 200))
    .openapi(readyzRoute, async (c) => {
      const deadline = () => Date.now() + CHECK_DEADLINE_MS;
      const queues = neededQueues(deps.taskQueue);
      const [database, temporal, polled] = await Promise.all([
        timed(() => deps.db.execute(sql`select 1`)),
        timed(() => deps.client.connection.withDeadline(deadline(), () => deps.client.workflowService.getSystemInfo({}))),
        timed(async () => {
          const now = Date.now();
          const [counts, nodes] = await Promise.all([
            Promise.all(
              queues.map(async (q) => {
                const res = await deps.client.connection.withDeadline(deadline(), () => deps.client.workflowService.describeTaskQueue({ namespace: deps.client.options.namespace, taskQueue: { name: q.queue }, taskQueueType: q.type === 'workflow' ? 1 : 2 }));
                const fresh = (res.pollers ?? []).filter((p) => p.lastAccessTime?.seconds && now - Number(p.lastAccessTime.seconds) * 1000 < POLLER_FRESH_MS);
                return { ...q, pollers: fresh.length };
              }),
            ),
            listNodes(deps.db),
          ]);
          const live = nodes.filter((n) => ['alive', 'draining'].includes(effectiveStatus(n, now)));
          return { counts, live };
        }),
      ]);
      const counts = polled.value?.counts ?? [];
      const live = polled.value?.live ?? [];
      const unpolled = counts.filter((q) => q.pollers === 0).map((q) => `${q.queue} (${q.type})`);
      const serving = live.filter((n) => n.status === 'alive');
      const workers =
        polled.status === 'down'
          ? { status: 'down' as const, ms: polled.ms, detail: polled.detail }
          : unpolled.length || serving.length === 0
            ? { status: 'down' as const, ms: polled.ms, detail: serving.length === 0 ? 'no live node holds a lease (every worker stopped, died or drains)' : `no worker polls ${unpolled.join(', ')}` }
            : { status: 'ok' as const, ms: polled.ms, detail: `${serving.length} node(s) serving` };
      if (database.status === 'down') noteDatabaseUnreachable();
      const ready = database.status === 'ok' && temporal.status === 'ok' && workers.status === 'ok';
      if (!ready) c.header('retry-after', '5');
      const check = (r: { status: 'ok' | 'down'; ms: number; detail?: string }) => ({ status: r.status, ms: r.ms, ...(r.detail ? { detail: r.detail } : {}) });
      return c.json(
        {
          status: ready ? ('ready' as const) : ('unready' as const),
          checks: { database: check(database), temporal: check(temporal), workers: check(workers) },
          queues: counts,
          nodes: live.map((n) => ({ id: n.id, status: effectiveStatus(n), providers: ((n.capabilities as { providers?: Record<string, string> }).providers ?? {}) })),
          config: configStatus(),
        },
        ready ? 200 : 503,
      );
    });
}
