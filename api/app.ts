import { OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { edgeGuard } from './edge-guard';
import { auditRoutes } from './audit';
import { healthRoutes } from './health';
import { registerTenantEventsDoc, tenantEventRoutes } from './tenant-events';
import { idempotency } from './idempotency';
import { requestDeadline } from './request-deadline';
import { authGuard } from './auth/guard';
import { crossSiteGuard } from './auth/cross-site';
import { keyRoutes } from './keys';
import { codecRoutes } from './codec';
import { cors } from 'hono/cors';
import { withScopes } from './auth/document';
import { checkpointRoutes } from './agents/checkpoint-routes';
import { agentDeleteRoutes } from './agents/delete-route';
import { retentionRoutes } from './retention';
import { entityRoutes } from './entities';
import { webhookRoutes } from './webhooks';
import { configRoutes } from './config';
import { batchRoutes } from './crews/batches';
import { crewRoutes } from './crews/routes';
import { scheduleRoutes } from './schedules';
import { mcpServerRoutes } from './mcp-servers';
import { mcpEndpoint } from './mcp/endpoint';
import { agentControlRoutes, registerEventStreamDoc } from './agents/control-routes';
import { agentRoutes } from './agents/routes';
import { inboxRoutes } from './agents/inbox';
import { memoryRoutes } from './memories';
import { nodeRoutes } from './nodes';
import { usageRoutes } from './usage';
import { toolStatsRoutes } from './tool-stats';
import { prometheusRoutes } from './prometheus';
import { docsRoutes } from './docs';
import { consoleRoutes } from './console';
import { requestTelemetry } from './request-telemetry';
import type { ApiDeps } from './deps';
import { errorToProblem, problemSchema, sendProblem } from './problem';
import { validationHook } from './validation';

/** The largest request body accepted (a 1,000,000-character input, JSON-escaped, fits). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The control-plane HTTP API: agents, crews, keys, audit, health, and the OpenAPI document at
 * /openapi.json. Every route is behind one guard (deny by default, see api/auth/policy.ts).
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(requestId());
  app.use(requestTelemetry(deps.logger));
  app.use(requestDeadline());
  app.use(bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => sendProblem(c, 413, 'too_large', `the body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`) }));
  // The Temporal UI calls the codec from its own origin, with credentials: CORS for it (and allowed origins) only.
  app.use('/codec/*', cors({ origin: (origin) => (deps.security.allowedOrigins.includes(origin) ? origin : null), credentials: true, allowMethods: ['POST', 'DELETE', 'OPTIONS'], allowHeaders: ['content-type', 'authorization', 'x-namespace'], maxAge: 600 }));
  app.use(crossSiteGuard(deps.security.allowedOrigins));
  app.use(authGuard({ db: deps.db, auth: deps.security.auth, limiter: deps.security.limiter }));
  app.use(edgeGuard);
  app.use(idempotency(deps.db));

  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', agentControlRoutes(deps));
  app.route('/', inboxRoutes(deps));
  registerEventStreamDoc(app);
  app.route('/', tenantEventRoutes(deps));
  registerTenantEventsDoc(app);
  app.route('/', usageRoutes(deps));
  app.route('/', toolStatsRoutes(deps));
  app.route('/', memoryRoutes(deps));
  app.route('/', nodeRoutes(deps));
  app.route('/', checkpointRoutes(deps));
  app.route('/', agentDeleteRoutes(deps));
  app.route('/', retentionRoutes(deps));
  app.route('/', entityRoutes(deps));
  app.route('/', webhookRoutes(deps));
  app.route('/', configRoutes(deps));
  app.route('/', crewRoutes(deps));
  app.route('/', batchRoutes(deps));
  app.route('/', scheduleRoutes(deps));
  app.route('/', mcpServerRoutes(deps));
  app.route('/', mcpEndpoint(() => app.fetch));
  app.route('/', keyRoutes(deps));
  app.route('/', auditRoutes(deps));
  app.route('/', codecRoutes(deps));
  app.route('/', prometheusRoutes(deps));
  app.route('/', docsRoutes());
  app.route('/', consoleRoutes());
  app.openAPIRegistry.registerPath({ method: 'get', path: '/openapi.json', security: [], summary: 'This document: every route, its schemas and the scope it needs', responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } } });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API key (`aok_…`) or, when configured, a JWT from the identity provider' });
  app.openAPIRegistry.register('Problem', problemSchema);
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', (c) => {
    if (!document) {
      const generated = app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'Agent OS Kernel', version: '0.1.0', description: 'The control plane of the Agent OS Kernel: every agent is a durable Temporal workflow. Reference: /docs.' },
        security: [{ bearer: [] }],
      });
      // OpenAPI 3.1's SPDX `identifier`, which the generator's (3.0) types do not know.
      document = withScopes({ ...generated, info: { ...generated.info, license: { name: 'Proprietary (UNLICENSED, as package.json says)', identifier: 'LicenseRef-Proprietary' } } });
    }
    // The server is the origin the document was read from (one API behind a balancer serves many names).
    return c.json({ ...document, servers: [{ url: new URL(c.req.url).origin, description: 'this API' }] });
  });

  app.notFound((c) => sendProblem(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorToProblem(err, c, (e) => deps.logger.error({ err: e, route: c.req.routePath, requestId: c.get('requestId') }, 'request failed')));
  return app;
}
