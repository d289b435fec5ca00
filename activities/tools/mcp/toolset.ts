import type { Db } from '../../../db/client';
import type { mcpServers } from '../../../db/schema';
import { mcpServersByName } from '../../../db/mcp-servers';
import type { McpHub } from './hub';
import type { ToolOutcome } from '../../../infra/telemetry/tool-call';
import { rootMessage } from '../../../kernel/errors';
import type { ToolSchema } from '../../../kernel/llm/types';
import { allowsMcpTool, mcpServersNamed, splitToolName } from '../../../kernel/mcp/spec';

type Row = typeof mcpServers.$inferSelect;

/** What the workflow must enforce for one MCP call, decided at the step that asked for it. */
export interface McpCallPolicy {
  requiresApproval: boolean;
  timeoutMs: number;
}

/** The MCP tools an agent may call at this step: their schemas for the model, and each one's policy. */
export interface McpToolset {
  schemas: ToolSchema[];
  policies: Map<string, McpCallPolicy>;
}

/** Time an MCP call's activity has beyond the call's own timeout: the step's claim and a server's start (up to 20 s). */
export const MCP_ACTIVITY_SLACK_MS = 30_000;

/** No MCP tools. */
export const NO_MCP_TOOLS: McpToolset = { schemas: [], policies: new Map() };

/** Whether a tool of a server may be called now: the server enabled and the tool not disabled. */
function callable(server: Row, tool: string): boolean {
  return server.enabled && !server.disabledTools.includes(tool);
}

/**
 * The MCP tools an allow-list grants, read fresh at each step: the tenant's enabled servers it
 * names (`server.tool` or `server.*`), without disabled tools. A server added, disabled or removed
 * through the API is seen here at the agent's next step.
 */
export async function mcpToolset(db: Db, tenant: string, allowed: readonly string[]): Promise<McpToolset> {
  const names = mcpServersNamed(allowed);
  if (!names.length) return NO_MCP_TOOLS;
  const servers = await mcpServersByName(db, tenant, names);
  const schemas: ToolSchema[] = [];
  const policies = new Map<string, McpCallPolicy>();
  for (const s of servers) {
    for (const t of s.tools) {
      if (!allowsMcpTool(allowed, s.name, t.name) || !callable(s, t.name)) continue;
      const name = `${s.name}.${t.name}`;
      schemas.push({ name, description: t.description, parameters: t.inputSchema });
      // The activity's deadline: the call's own, plus time to claim the step and (re)start the server.
      policies.set(name, { requiresApproval: s.requiresApproval || s.approvalTools.includes(t.name), timeoutMs: s.timeoutMs + MCP_ACTIVITY_SLACK_MS });
    }
  }
  return { schemas, policies };
}

/** One MCP call to carry out for an agent. */
export interface McpCallRequest {
  tenant: string;
  allowed: readonly string[];
  name: string;
  arguments: Record<string, unknown>;
  approved: boolean;
  approver?: string;
  reason?: string;
  signal: AbortSignal;
  idempotencyKey: string;
}

/**
 * Runs an MCP tool call under the same rules as a kernel tool, checked again now (the call may have
 * waited for approval while the server changed): allowed, the server there and enabled, the tool
 * listed and not disabled, approved when it needs approval. A server that is down, dies mid-call or
 * times out is a failed call whose sentence the model reads; the agent goes on.
 */
export async function runMcpCall(db: Db, hub: McpHub, req: McpCallRequest): Promise<ToolOutcome> {
  const parts = splitToolName(req.name);
  if (!parts || !allowsMcpTool(req.allowed, parts.server, parts.tool)) {
    return { status: 'refused', result: `error: tool "${req.name}" is not allowed for this agent (allowed: ${req.allowed.join(', ') || 'none'})` };
  }
  const [server] = await mcpServersByName(db, req.tenant, [parts.server]);
  if (!server) return { status: 'refused', result: `error: there is no MCP server "${parts.server}" (it was removed)` };
  const tool = server.tools.find((t) => t.name === parts.tool);
  if (!tool) return { status: 'refused', result: `error: MCP server "${parts.server}" has no tool "${parts.tool}" (it lists: ${server.tools.map((t) => t.name).join(', ') || 'none'})` };
  if (!callable(server, parts.tool)) return { status: 'refused', result: `error: tool "${req.name}" is disabled` };
  if ((server.requiresApproval || server.approvalTools.includes(parts.tool)) && !req.approved) {
    return { status: 'rejected', result: `the call was rejected by ${req.approver ?? 'policy'}${req.reason ? `: ${req.reason}` : ''}` };
  }
  try {
    const out = await hub.callTool(server, parts.tool, req.arguments, { signal: req.signal, timeoutMs: server.timeoutMs, idempotencyKey: req.idempotencyKey });
    return out.isError ? { status: 'failed', result: `error: ${req.name} failed: ${out.text}` } : { status: 'succeeded', result: out.text };
  } catch (err) {
    if (req.signal.aborted) throw err;
    return { status: 'failed', result: `error: ${req.name} failed: ${rootMessage(err)}` };
  }
}
