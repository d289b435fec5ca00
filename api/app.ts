import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { requestId } from 'hono/request-id';
import { checkpointRoutes } from './agents/checkpoint-routes';
import { agentControlRoutes } from './agents/control-routes';
import { agentRoutes } from './agents/routes';
import { memoryRoutes } from './memories';
import { nodeRoutes } from './nodes';
import { usageRoutes } from './usage';
import type { ApiDeps } from './deps';
import { errorToProblem, sendProblem } from './problem';
import { validationHook } from './validation';

/** The control-plane HTTP API: agents, health, and the OpenAPI document at /openapi.json. */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), requestId: c.get('requestId') }, 'request');
  });

  app.get('/health', async (c) => {
    const checks = { database: 'ok', temporal: 'ok' };
    try {
      await deps.db.execute(sql`select 1`);
    } catch {
      checks.database = 'down';
    }
    try {
      await deps.client.connection.withDeadline(Date.now() + 2_000, () => deps.client.workflowService.getSystemInfo({}));
    } catch {
      checks.temporal = 'down';
    }
    const ok = checks.database === 'ok' && checks.temporal === 'ok';
    return c.json({ status: ok ? 'ok' : 'degraded', checks }, ok ? 200 : 503);
  });

  app.route('/', agentRoutes(deps));
  app.route('/', agentControlRoutes(deps));
  app.route('/', usageRoutes(deps));
  app.route('/', memoryRoutes(deps));
  app.route('/', nodeRoutes(deps));
  app.route('/', checkpointRoutes(deps));
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'Agent OS Kernel', version: '0.1.0' } });

  app.notFound((c) => sendProblem(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorToProblem(err, c, (e) => deps.logger.error({ err: e, path: c.req.path }, 'request failed')));
  return app;
}
