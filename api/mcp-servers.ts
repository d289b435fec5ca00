import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Context } from 'hono';
import { attachFromMcp, deleteMcpServer, type McpServerView, listMcpServers, mcpServerRow, mcpServerView, refreshMcpServer, registerMcpServer, updateMcpServer } from '../control/mcp-servers';
import { mcpAttachmentSchema, mcpPolicyPatchSchema, mcpServerSpecSchema } from '../kernel/mcp/spec';
import type { ApiDeps } from './deps';
import { problemResponse } from './openapi-common';
import { validationHook } from './validation';
import { listTenant, tenantFor } from './auth/tenant';
import { principalOf } from './auth/guard';
import { grants } from '../kernel/auth/scopes';
import { KernelError } from '../kernel/errors';
import { refusePrivateUrl } from '../control/mcp-url-guard';

const toolView = z.object({
  name: z.string().describe('server.tool: the name agents allow and models call'),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: z.record(z.string(), z.unknown()),
  requiresApproval: z.boolean(),
  enabled: z.boolean(),
});
const serverView = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  transport: z.enum(['stdio', 'http']),
  command: z.string().nullable(),
  args: z.array(z.string()),
  sandbox: z.object({ network: z.boolean(), read: z.array(z.string()), write: z.array(z.string()) }).nullable().describe('stdio: how it is confined; null: unconfined'),
  url: z.string().nullable(),
  secretNames: z.array(z.string()).describe('env:NAME and header:NAME of its secrets; their values are never returned'),
  enabled: z.boolean(),
  requiresApproval: z.boolean(),
  approvalTools: z.array(z.string()),
  disabledTools: z.array(z.string()),
  timeoutMs: z.number().int(),
  version: z.number().int(),
  tools: z.array(toolView),
  toolsListedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const view = { content: { 'application/json': { schema: serverView } } };
const idParam = z.object({ id: z.string().min(1).max(200) });
const errors = { 400: problemResponse('Invalid, or the server could not be reached to list its tools'), 404: problemResponse('Unknown server'), 409: problemResponse('The tenant has a server of that name') };

const registerRoute = createRoute({
  method: 'post',
  path: '/mcp/servers',
  summary: 'Register an MCP server as a tool source (stdio command or Streamable HTTP URL): the kernel lists its tools, usable as server.tool',
  request: { body: { required: true, content: { 'application/json': { schema: mcpServerSpecSchema } } } },
  responses: { 201: { description: 'Registered, with its tools', ...view }, 400: errors[400], 409: errors[409] },
});
const listRoute = createRoute({
  method: 'get',
  path: '/mcp/servers',
  summary: "The tenant's MCP servers with their tools and policies",
  responses: { 200: { description: 'Servers', content: { 'application/json': { schema: z.object({ servers: z.array(serverView) }) } } } },
});
const getRoute = createRoute({ method: 'get', path: '/mcp/servers/{id}', summary: 'One MCP server with its tools', request: { params: idParam }, responses: { 200: { description: 'The server', ...view }, 404: errors[404] } });
const patchRoute = createRoute({
  method: 'patch',
  path: '/mcp/servers/{id}',
  summary: "Change a server's policy (enabled, approvals, disabled tools, timeout): it applies at each agent's next step, audited",
  request: { params: idParam, body: { required: true, content: { 'application/json': { schema: mcpPolicyPatchSchema } } } },
  responses: { 200: { description: 'Changed', ...view }, 400: errors[400], 404: errors[404] },
});
const refreshRoute = createRoute({
  method: 'post',
  path: '/mcp/servers/{id}/refresh',
  summary: "List a server's tools again (servers that announce changes are listed again on their own)",
  request: { params: idParam },
  responses: { 200: { description: 'Listed', ...view }, 404: errors[404], 503: problemResponse('The server could not be reached (its last list stays)') },
});
const deleteRoute = createRoute({ method: 'delete', path: '/mcp/servers/{id}', summary: "Remove a server: its tools are refused from each agent's next step", request: { params: idParam }, responses: { 204: { description: 'Removed' }, 404: errors[404] } });

const attachRoute = createRoute({
  method: 'post',
  path: '/agents/{id}/attachments',
  summary: "Pin a resource or a prompt of one of the tenant's MCP servers into the agent's context (from its next step)",
  request: { params: idParam, body: { required: true, content: { 'application/json': { schema: mcpAttachmentSchema } } } },
  responses: {
    202: { description: 'Pinned and signalled', content: { 'application/json': { schema: z.object({ pageId: z.string(), tokens: z.number().int() }) } } },
    400: errors[400],
    404: problemResponse('Unknown agent or server'),
    409: problemResponse('The agent has finished, or the server is disabled'),
    503: problemResponse('The server could not be reached'),
  },
});

/** A server as a caller below admin sees it: no arguments and no URL query (where tokens hide). */
function forCaller(c: Context, view: McpServerView): McpServerView {
  if (grants(principalOf(c).scopes, 'admin')) return view;
  return { ...view, args: view.args.length ? ['(hidden: admin scope)'] : [], url: view.url ? view.url.replace(/[?#].*$/, '') : null };
}

/** MCP server routes: register, list, read, change policy, list tools again, remove; attach a resource or prompt to an agent. */
export function mcpServerRoutes(deps: ApiDeps) {
  const control = { db: deps.db, mcp: deps.mcp, box: deps.secrets };
  return new OpenAPIHono({ defaultHook: validationHook })
    .openapi(registerRoute, async (c) => {
      const spec = c.req.valid('json');
      const root = grants(principalOf(c).scopes, 'root');
      // A stdio server is a command the kernel's hosts run; an HTTP one a URL they call: a tenant's
      // admin may register public URLs only, and only a root key a command or the kernel's own network.
      if (spec.transport === 'stdio' && !root) throw new KernelError('forbidden', 'a stdio MCP server is a command the kernel’s hosts run: only a root key may register one (a tenant admin may register a Streamable HTTP server)');
      if (spec.transport === 'http' && !root) await refusePrivateUrl(spec.url);
      const server = await registerMcpServer(control, { ...spec, tenant: tenantFor(c, spec.tenant) }, principalOf(c).actor);
      c.header('location', `/mcp/servers/${server.id}`);
      return c.json(server, 201);
    })
    .openapi(listRoute, async (c) => c.json({ servers: (await listMcpServers(deps.db, listTenant(c))).map((r) => forCaller(c, mcpServerView(r))) }, 200))
    .openapi(getRoute, async (c) => c.json(forCaller(c, mcpServerView(await mcpServerRow(deps.db, c.req.valid('param').id, listTenant(c)))), 200))
    .openapi(patchRoute, async (c) => c.json(await updateMcpServer(control, c.req.valid('param').id, listTenant(c), c.req.valid('json'), principalOf(c).actor), 200))
    .openapi(refreshRoute, async (c) => c.json(await refreshMcpServer(control, c.req.valid('param').id, listTenant(c), principalOf(c).actor), 200))
    .openapi(attachRoute, async (c) => c.json(await attachFromMcp(deps, c.req.valid('param').id, c.req.valid('json'), principalOf(c).actor), 202))
    .openapi(deleteRoute, async (c) => {
      await deleteMcpServer(control, c.req.valid('param').id, listTenant(c), principalOf(c).actor);
      return c.body(null, 204);
    });
}
