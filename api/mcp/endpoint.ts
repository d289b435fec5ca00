import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { kernelMcpServer } from './kernel-tools';

/** The API's own request handler: the MCP tools call the routes through it, with the caller's key. */
type Fetch = (request: Request) => Response | Promise<Response>;

/**
 * `/mcp`: the kernel's MCP server over Streamable HTTP, stateless (each POST carries its own
 * JSON-RPC exchange). Every tool is a call to this API with the caller's bearer token, so an MCP
 * client has exactly the scopes and tenant of its key.
 */
export function mcpEndpoint(origin: () => Fetch) {
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/mcp',
    summary: 'The kernel as an MCP server (Streamable HTTP, stateless): spawn, list, describe, message, approve, kill, usage as MCP tools, with this key’s scopes',
    request: { body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()).describe('a JSON-RPC 2.0 message of the Model Context Protocol') } } } },
    responses: { 200: { description: 'The JSON-RPC answer', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, 202: { description: 'A notification, accepted' } },
  });
  const handle = async (request: Request, parsedBody: unknown) => {
    const authorization = request.headers.get('authorization') ?? '';
    const server = kernelMcpServer((method, path, body) =>
      Promise.resolve(origin()(new Request(new URL(path, request.url).toString(), { method, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }))),
    );
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, parsedBody === undefined ? undefined : { parsedBody });
    } finally {
      void server.close();
    }
  };
  // The body is read through Hono (the guards before this route may have read it already).
  app.post('/mcp', async (c) => handle(c.req.raw, await c.req.json().catch(() => undefined)));
  // Stateless: no server-initiated stream and no session to end.
  app.on(['GET', 'DELETE'], '/mcp', (c) => c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this endpoint is stateless (POST only)' }, id: null }, 405));
  return app;
}
