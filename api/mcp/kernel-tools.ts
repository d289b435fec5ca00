import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** One call to the kernel's HTTP API, made with the caller's own key (so its scopes and tenant hold). */
export type KernelApiCall = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<Response>;

type ToolResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

/** The API's answer as a tool result: its JSON, or the problem's sentence marked as an error. */
async function answer(res: Response, summarise?: (body: Record<string, unknown>) => string): Promise<ToolResult> {
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) return { content: [{ type: 'text', text: `${res.status}: ${String(body.detail ?? body.title ?? res.statusText)}` }], isError: true };
  return { content: [{ type: 'text', text: summarise ? `${summarise(body)}\n\n${JSON.stringify(body)}` : JSON.stringify(body) }] };
}

const id = z.string().min(1).max(200).describe('the agent id');

/**
 * The kernel as an MCP server: its control verbs (spawn, list, describe, message, approve, kill,
 * usage) as tools, each one call to the HTTP API with the client's own key — the same
 * authentication, scopes and tenant as any other door. Served over stdio (`bun run mcp`) and
 * Streamable HTTP (`/mcp`).
 */
export function kernelMcpServer(call: KernelApiCall): McpServer {
  const server = new McpServer({ name: 'agent-os-kernel', version: '0.1.0' }, { instructions: 'Run LLM agents on the Agent OS Kernel: spawn one, follow it with describe_agent, answer its approvals, read what it cost.' });
  const enc = encodeURIComponent;

  server.registerTool(
    'spawn_agent',
    {
      description: 'Spawn an agent: a durable workflow that works toward its goal, step by step, with the tools it is allowed.',
      inputSchema: {
        name: z.string().min(1).max(80),
        role: z.string().min(1).max(2_000),
        goal: z.string().min(1).max(4_000),
        input: z.string().min(1).max(100_000).describe('its first message'),
        model: z.string().max(200).optional().describe('provider:model, e.g. openai:gpt-4o-mini (default: the kernel’s)'),
        tools: z.array(z.string().max(128)).max(64).optional().describe('tools it may call, e.g. calculator or an MCP server’s server.tool'),
        maxSteps: z.number().int().min(1).max(1_000).optional(),
      },
      annotations: { destructiveHint: false, openWorldHint: true },
    },
    async (a) => answer(await call('POST', '/agents', { name: a.name, role: a.role, goal: a.goal, input: a.input, ...(a.model ? { model: a.model } : {}), ...(a.tools ? { tools: a.tools } : {}), ...(a.maxSteps ? { constraints: { maxSteps: a.maxSteps } } : {}) }), (b) => `spawned ${String(b.id)} (${String(b.status)})`),
  );
  server.registerTool(
    'list_agents',
    { description: 'List agents, newest first: id, name, state, why it waits, step, cost.', inputSchema: { limit: z.number().int().min(1).max(200).default(20) }, annotations: { readOnlyHint: true } },
    async (a) => answer(await call('GET', `/agents?limit=${a.limit}`), (b) => (b.agents as Array<Record<string, unknown>>).map((x) => `${String(x.id)}\t${String(x.status)}${x.hold ? ` (${String(x.hold)})` : ''}\tstep ${String(x.step)}`).join('\n') || 'no agents'),
  );
  server.registerTool(
    'describe_agent',
    { description: 'One agent: its state, why it waits, its pending tool call, usage and result.', inputSchema: { id }, annotations: { readOnlyHint: true } },
    async (a) => answer(await call('GET', `/agents/${enc(a.id)}`), (b) => `${String(b.id)}: ${String(b.status)}${b.pendingApproval ? `, waiting for approval of ${JSON.stringify(b.pendingApproval)}` : ''}${b.result ? `\nresult: ${String(b.result)}` : ''}`),
  );
  server.registerTool(
    'message_agent',
    { description: 'Send a message into the agent’s next step.', inputSchema: { id, text: z.string().min(1).max(100_000) } },
    async (a) => answer(await call('POST', `/agents/${enc(a.id)}/messages`, { text: a.text })),
  );
  server.registerTool(
    'approve_tool_call',
    {
      description: 'Approve (or reject) the tool call an agent waits on, by its exact call id (describe_agent shows it).',
      inputSchema: { id, callId: z.string().min(1).max(300), approved: z.boolean().default(true), reason: z.string().max(1_000).optional() },
    },
    async (a) => answer(await call('POST', `/agents/${enc(a.id)}/approvals`, { callId: a.callId, approved: a.approved, ...(a.reason ? { reason: a.reason } : {}) })),
  );
  server.registerTool(
    'kill_agent',
    { description: 'Terminate an agent: its running step or tool call is cancelled.', inputSchema: { id, reason: z.string().max(1_000).optional() }, annotations: { destructiveHint: true } },
    async (a) => answer(await call('POST', `/agents/${enc(a.id)}/kill`, { ...(a.reason ? { reason: a.reason } : {}) })),
  );
  server.registerTool(
    'usage',
    {
      description: 'Tokens and USD billed to a tenant (default: the key’s), optionally rolled up by agent, crew, root, model or day.',
      inputSchema: { tenant: z.string().max(80).optional(), groupBy: z.enum(['agent', 'crew', 'root', 'model', 'day']).optional() },
      annotations: { readOnlyHint: true },
    },
    async (a) => {
      const tenant = a.tenant ?? String(((await (await call('GET', '/whoami')).json().catch(() => ({}))) as { tenant?: string }).tenant ?? 'default');
      return answer(await call('GET', `/tenants/${enc(tenant)}/usage${a.groupBy ? `?groupBy=${a.groupBy}` : ''}`), (b) => `${tenant}: $${Number(b.costUsd).toFixed(4)} over ${String(b.steps)} steps`);
    },
  );
  return server;
}
