import type { Scope } from '../../kernel/auth/scopes';

/** The kind of row a route's path names, whose tenant must be the caller's (else 404). */
export type ResourceKind = 'agent' | 'crew' | 'schedule' | 'memory' | 'tenant' | 'key' | 'mcp-server' | 'webhook';

/** What a route requires: `public`, or a scope and the tenant-owned resource its path names. */
export type RoutePolicy = { scope: 'public' } | { scope: Scope; resource?: { kind: ResourceKind; param: string } };

const agent = { kind: 'agent', param: 'id' } as const;
const crew = { kind: 'crew', param: 'id' } as const;
const schedule = { kind: 'schedule', param: 'id' } as const;
const memory = { kind: 'memory', param: 'memoryId' } as const;
const mcpServer = { kind: 'mcp-server', param: 'id' } as const;
const webhook = { kind: 'webhook', param: 'id' } as const;

/**
 * Every route's policy, keyed `METHOD /path/:param` as Hono registers it. A route missing here is
 * refused (deny by default), and a test walks the route table so none can be added without one.
 */
export const ROUTE_POLICIES: Readonly<Record<string, RoutePolicy>> = {
  'GET /health': { scope: 'public' },
  'GET /livez': { scope: 'public' },
  'GET /readyz': { scope: 'public' },
  'GET /openapi.json': { scope: 'public' },
  'GET /docs': { scope: 'public' },
  'GET /docs/assets/:file': { scope: 'public' },
  // The console's page and files hold no data: everything it shows comes from the API, with a key.
  'GET /console': { scope: 'public' },
  'GET /console/assets/:file': { scope: 'public' },

  'POST /agents': { scope: 'operator' },
  'GET /agents': { scope: 'viewer' },
  'GET /agents/:id': { scope: 'viewer', resource: agent },
  'GET /agents/:id/pages': { scope: 'viewer', resource: agent },
  'GET /agents/:id/tree': { scope: 'viewer', resource: agent },
  'GET /agents/:id/events': { scope: 'viewer', resource: agent },
  'GET /agents/:id/tool-calls': { scope: 'viewer', resource: agent },
  'GET /agents/:id/metrics': { scope: 'viewer', resource: agent },
  'GET /agents/:id/memories': { scope: 'viewer', resource: agent },
  'POST /agents/:id/memories': { scope: 'operator', resource: agent },
  'GET /agents/:id/checkpoints': { scope: 'viewer', resource: agent },
  'GET /agents/:id/checkpoints/:cid': { scope: 'viewer', resource: agent },
  'GET /agents/:id/checkpoints/:cid/diff/:other': { scope: 'viewer', resource: agent },
  'DELETE /agents/:id/checkpoints/:cid': { scope: 'operator', resource: agent },
  'PUT /agents/:id/checkpoints/:cid/tags': { scope: 'operator', resource: agent },
  'DELETE /agents/:id': { scope: 'operator', resource: agent },
  'GET /retention': { scope: 'viewer' },
  'GET /agents/:id/entities': { scope: 'viewer', resource: agent },
  'GET /entities': { scope: 'viewer' },
  'GET /events': { scope: 'viewer' },
  'POST /webhooks': { scope: 'admin' },
  'GET /config': { scope: 'admin' },
  'GET /webhooks': { scope: 'viewer' },
  'DELETE /webhooks/:id': { scope: 'admin', resource: webhook },
  'GET /webhooks/:id/deliveries': { scope: 'viewer', resource: webhook },
  'POST /webhooks/:id/deliveries/:deliveryId/redeliver': { scope: 'operator', resource: webhook },
  'PUT /retention': { scope: 'admin' },
  'POST /agents/:id/messages': { scope: 'operator', resource: agent },
  'POST /agents/:id/attachments': { scope: 'operator', resource: agent },
  'DELETE /memories/:memoryId': { scope: 'operator', resource: memory },
  'GET /memories': { scope: 'viewer' },
  'GET /agents/:id/inbox': { scope: 'viewer', resource: agent },
  'POST /agents/:id/pause': { scope: 'operator', resource: agent },
  'POST /agents/:id/resume': { scope: 'operator', resource: agent },
  'POST /agents/:id/kill': { scope: 'operator', resource: agent },
  'POST /agents/:id/budget': { scope: 'operator', resource: agent },
  'PUT /agents/:id/priority': { scope: 'operator', resource: agent },
  'POST /agents/:id/fork': { scope: 'operator', resource: agent },
  'POST /agents/:id/rewind': { scope: 'operator', resource: agent },
  'POST /agents/:id/migrate': { scope: 'operator', resource: agent },
  'POST /agents/:id/approvals': { scope: 'approver', resource: agent },

  'GET /memories/:memoryId/versions': { scope: 'viewer', resource: memory },
  'POST /memories/:memoryId/feedback': { scope: 'operator', resource: memory },

  'POST /crews': { scope: 'operator' },
  'GET /crews': { scope: 'viewer' },
  'GET /crews/:id': { scope: 'viewer', resource: crew },
  'GET /crews/:id/events': { scope: 'viewer', resource: crew },
  'POST /crews/:id/cancel': { scope: 'operator', resource: crew },
  'POST /crews/:id/fork': { scope: 'operator', resource: crew },
  'POST /crews/:id/nodes/:node/retry': { scope: 'operator', resource: crew },
  'POST /crews/:id/nodes/:node/approvals': { scope: 'approver', resource: crew },
  'POST /crews/:id/gates/:node': { scope: 'approver', resource: crew },
  // A shared memory of a named crew: the name lives in the caller's tenant (no row to look up).
  'POST /crews/:crew/memories': { scope: 'operator' },

  'POST /batches': { scope: 'operator' },
  'GET /batches': { scope: 'viewer' },
  'GET /batches/:id': { scope: 'viewer', resource: crew },
  'POST /batches/:id/cancel': { scope: 'operator', resource: crew },

  'POST /schedules': { scope: 'operator' },
  'GET /schedules': { scope: 'viewer' },
  'GET /schedules/:id': { scope: 'viewer', resource: schedule },
  'DELETE /schedules/:id': { scope: 'operator', resource: schedule },
  'POST /schedules/:id/pause': { scope: 'operator', resource: schedule },
  'POST /schedules/:id/unpause': { scope: 'operator', resource: schedule },
  'POST /schedules/:id/trigger': { scope: 'operator', resource: schedule },

  'GET /tenants/:tenant/usage': { scope: 'viewer', resource: { kind: 'tenant', param: 'tenant' } },
  'GET /tools': { scope: 'viewer' },
  'GET /tools/stats': { scope: 'viewer' },
  'GET /tools/suggest': { scope: 'viewer' },
  // A stdio server is a command the workers run, an HTTP server a URL they call: admins register them.
  'POST /mcp/servers': { scope: 'admin' },
  'GET /mcp/servers': { scope: 'viewer' },
  'GET /mcp/servers/:id': { scope: 'viewer', resource: mcpServer },
  'PATCH /mcp/servers/:id': { scope: 'admin', resource: mcpServer },
  'POST /mcp/servers/:id/refresh': { scope: 'admin', resource: mcpServer },
  'DELETE /mcp/servers/:id': { scope: 'admin', resource: mcpServer },
  // The kernel's own MCP server: each of its tools calls a route above with the same key and scope.
  'POST /mcp': { scope: 'viewer' },
  'GET /mcp': { scope: 'viewer' },
  'DELETE /mcp': { scope: 'viewer' },

  'GET /nodes': { scope: 'viewer' },
  // Every tenant's figures: a Prometheus scraper holds a root key.
  'GET /metrics': { scope: 'root' },
  'POST /nodes/:id/drain': { scope: 'root' },
  'POST /nodes/:id/undrain': { scope: 'root' },

  'POST /keys': { scope: 'admin' },
  'GET /keys': { scope: 'admin' },
  'POST /keys/:id/rotate': { scope: 'admin', resource: { kind: 'key', param: 'id' } },
  'POST /keys/:id/revoke': { scope: 'admin', resource: { kind: 'key', param: 'id' } },
  'GET /whoami': { scope: 'viewer' },

  'POST /codec/decode': { scope: 'root' },
  'POST /codec/encode': { scope: 'root' },
  'POST /codec/session': { scope: 'root' },
  'DELETE /codec/session': { scope: 'public' },
  'GET /codec': { scope: 'public' },

  'GET /audit': { scope: 'admin' },
  'GET /audit/verify': { scope: 'root' },
};

/** The policy of a route pattern, or undefined (refused). */
export function policyOf(method: string, path: string): RoutePolicy | undefined {
  return ROUTE_POLICIES[`${method} ${path}`];
}

/** The values of a pattern's `:params` in a concrete path (decoded), matched segment by segment. */
export function pathParams(pattern: string, path: string): Record<string, string> {
  const names = pattern.split('/');
  const values = path.split('/');
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    if (!name.startsWith(':') || values[i] === undefined) return;
    try {
      out[name.slice(1)] = decodeURIComponent(values[i]!);
    } catch {
      out[name.slice(1)] = values[i]!;
    }
  });
  return out;
}
