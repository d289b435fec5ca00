import type { ToolRegistry } from '../activities/tools/registry';
import type { Db } from '../db/client';
import { mcpServersByName } from '../db/mcp-servers';
import { mcpServersNamed, splitToolName } from '../kernel/mcp/spec';

/** Names that are neither a tool the node runs nor an MCP tool name (`server.tool`, `server.*`): checkable without the database. */
export function unknownKernelTools(registry: ToolRegistry, names: readonly string[]): string[] {
  return names.filter((t) => !registry.get(t) && !splitToolName(t));
}

/** MCP tool names the tenant has no server for, or whose server does not list the tool (`server.*` needs only the server). */
export async function unknownMcpTools(db: Db, tenant: string, names: readonly string[]): Promise<string[]> {
  const servers = await mcpServersByName(db, tenant, mcpServersNamed(names));
  return names.filter((n) => {
    const parts = splitToolName(n);
    if (!parts) return false;
    const server = servers.find((s) => s.name === parts.server);
    return !server || (parts.tool !== '*' && !server.tools.some((t) => t.name === parts.tool));
  });
}
