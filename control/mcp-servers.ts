import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { appendAudit } from '../db/audit';
import type { Db } from '../db/client';
import { contextPages, mcpServers } from '../db/schema';
import { mcpServersByName } from '../db/mcp-servers';
import type { ControlDeps } from './deps';
import { sendMessage } from './steer';
import { agentRow } from './views';
import { KernelError, rootMessage } from '../kernel/errors';
import type { McpAttachment, McpPolicyPatch, McpServerSpec } from '../kernel/mcp/spec';
import type { McpHub } from '../activities/tools/mcp/hub';
import type { SecretBox } from '../activities/tools/mcp/secret-box';

/** What the MCP control operations need. */
export interface McpControlDeps {
  db: Db;
  mcp: McpHub;
  box: SecretBox;
}

type Row = typeof mcpServers.$inferSelect;

/** The most text an attachment pins (a page is re-read at every step). */
const MAX_ATTACHMENT_CHARS = 100_000;

/** A registered server as the API shows it: how it is reached (secrets by name only), its policy and its tools. */
export function mcpServerView(r: Row) {
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    transport: r.transport,
    command: r.command,
    args: r.args,
    sandbox: r.sandbox,
    url: r.url,
    secretNames: r.secretNames,
    enabled: r.enabled,
    requiresApproval: r.requiresApproval,
    approvalTools: r.approvalTools,
    disabledTools: r.disabledTools,
    timeoutMs: r.timeoutMs,
    version: r.version,
    tools: r.tools.map((t) => ({
      name: `${r.name}.${t.name}`,
      description: t.description,
      inputSchema: t.inputSchema,
      annotations: t.annotations,
      requiresApproval: r.requiresApproval || r.approvalTools.includes(t.name),
      enabled: r.enabled && !r.disabledTools.includes(t.name),
    })),
    toolsListedAt: r.toolsListedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Why a server could not be reached, without what its endpoint answered (it could be anything the URL reaches). */
function reasonOf(err: unknown): string {
  return rootMessage(err).replace(/(Error POSTing to endpoint)[\s\S]*/i, '$1 (its answer is not shown)').slice(0, 300);
}

/** A server as the API shows it. */
export type McpServerView = ReturnType<typeof mcpServerView>;

/** The row of a server the caller may see (another tenant's is a 404, as if it did not exist). */
export async function mcpServerRow(db: Db, id: string, tenant: string | null): Promise<Row> {
  const [row] = await db.select().from(mcpServers).where(eq(mcpServers.id, id)).limit(1);
  if (!row || (tenant !== null && row.tenant !== tenant)) throw new KernelError('not_found', `no MCP server with id "${id}"`);
  return row;
}

/** A tenant's servers (every tenant's for null), newest first. */
export async function listMcpServers(db: Db, tenant: string | null): Promise<Row[]> {
  return db.select().from(mcpServers).where(tenant === null ? undefined : eq(mcpServers.tenant, tenant)).orderBy(desc(mcpServers.createdAt));
}

/**
 * Registers a server for a tenant: connects to it and lists its tools (a server that cannot be reached
 * or listed is refused, nothing stored), seals its secrets, stores it and audits the registration
 * (without secrets). Its tools are usable by agents that allow them from their next step.
 */
export async function registerMcpServer(deps: McpControlDeps, spec: McpServerSpec, actor: string): Promise<McpServerView> {
  const [taken] = await deps.db.select({ id: mcpServers.id }).from(mcpServers).where(and(eq(mcpServers.tenant, spec.tenant), eq(mcpServers.name, spec.name))).limit(1);
  if (taken) throw new KernelError('conflict', `tenant "${spec.tenant}" already has an MCP server named "${spec.name}" (${taken.id})`);
  const env = spec.transport === 'stdio' ? spec.env : {};
  const headers = spec.transport === 'http' ? spec.headers : {};
  const secretNames = [...Object.keys(env).map((k) => `env:${k}`), ...Object.keys(headers).map((k) => `header:${k}`)];
  const row = {
    id: `mcp.${spec.name}-${randomUUID().slice(0, 8)}`,
    tenant: spec.tenant,
    name: spec.name,
    transport: spec.transport,
    command: spec.transport === 'stdio' ? spec.command : null,
    args: spec.transport === 'stdio' ? spec.args : [],
    sandbox: spec.transport === 'stdio' && spec.sandbox !== false ? spec.sandbox : null,
    url: spec.transport === 'http' ? spec.url : null,
    secrets: secretNames.length ? deps.box.seal({ env, headers }) : null,
    secretNames,
    enabled: spec.enabled,
    requiresApproval: spec.requiresApproval,
    approvalTools: spec.approvalTools,
    disabledTools: spec.disabledTools,
    timeoutMs: spec.timeoutMs,
    version: 1,
  };
  let tools;
  try {
    tools = await deps.mcp.listTools(row, AbortSignal.timeout(30_000));
  } catch (err) {
    throw new KernelError('invalid_input', `could not list the tools of MCP server "${spec.name}": ${reasonOf(err)}`);
  } finally {
    // The API lists; workers call. A stdio server is not kept running in the API's process.
    await deps.mcp.forget(row.id);
  }
  const [stored] = await deps.db.insert(mcpServers).values({ ...row, tools, toolsListedAt: new Date() }).returning();
  await appendAudit(deps.db, { actor, action: 'mcp.server.registered', subject: row.id, data: { tenant: spec.tenant, name: spec.name, transport: spec.transport, command: row.command, args: row.args, url: row.url, sandbox: row.sandbox, tools: tools.map((t) => t.name), secretNames }, idempotencyKey: `mcp.register:${row.id}` });
  return mcpServerView(stored!);
}

/** Changes a server's policy (enabled, approvals, disabled tools, timeout), audited with the diff; it applies at each agent's next step. */
export async function updateMcpServer(deps: McpControlDeps, id: string, tenant: string | null, patch: McpPolicyPatch, actor: string): Promise<McpServerView> {
  const before = await mcpServerRow(deps.db, id, tenant);
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(patch)) {
    const was = before[k as keyof McpPolicyPatch];
    if (JSON.stringify(was) !== JSON.stringify(v)) diff[k] = { from: was, to: v };
  }
  const [after] = await deps.db.update(mcpServers).set({ ...patch, updatedAt: new Date() }).where(eq(mcpServers.id, id)).returning();
  if (Object.keys(diff).length) await appendAudit(deps.db, { actor, action: 'mcp.server.updated', subject: id, data: { diff }, idempotencyKey: `mcp.update:${id}:${randomUUID()}` });
  return mcpServerView(after!);
}

/** Lists a server's tools again (a server that cannot be reached keeps its last list, and the call says why). */
export async function refreshMcpServer(deps: McpControlDeps, id: string, tenant: string | null, actor: string): Promise<McpServerView> {
  const row = await mcpServerRow(deps.db, id, tenant);
  let tools;
  try {
    tools = await deps.mcp.listTools(row, AbortSignal.timeout(30_000));
  } catch (err) {
    throw new KernelError('unavailable', `could not list the tools of MCP server "${row.name}" (its last list stays): ${reasonOf(err)}`);
  } finally {
    await deps.mcp.forget(row.id);
  }
  const [after] = await deps.db.update(mcpServers).set({ tools, toolsListedAt: new Date() }).where(eq(mcpServers.id, id)).returning();
  await appendAudit(deps.db, { actor, action: 'mcp.server.refreshed', subject: id, data: { tools: tools.map((t) => t.name) }, idempotencyKey: `mcp.refresh:${id}:${randomUUID()}` });
  return mcpServerView(after!);
}

/** Removes a server: its tools are refused from each agent's next step; audited. */
export async function deleteMcpServer(deps: McpControlDeps, id: string, tenant: string | null, actor: string): Promise<void> {
  const row = await mcpServerRow(deps.db, id, tenant);
  await deps.db.delete(mcpServers).where(eq(mcpServers.id, id));
  await deps.mcp.forget(id);
  await appendAudit(deps.db, { actor, action: 'mcp.server.deleted', subject: id, data: { tenant: row.tenant, name: row.name }, idempotencyKey: `mcp.delete:${id}` });
}

/**
 * Pins a resource or a prompt of one of the agent's tenant's MCP servers into its context: read now
 * (through this process's connection, closed after), stored as a pinned page, signalled into the
 * agent's next step like a message; audited. A disabled server, or one the tenant does not have, is
 * refused.
 */
export async function attachFromMcp(deps: ControlDeps, agentId: string, attachment: McpAttachment, actor: string): Promise<{ pageId: string; tokens: number }> {
  const agent = await agentRow(deps, agentId);
  const [server] = await mcpServersByName(deps.db, agent.tenant, [attachment.server]);
  if (!server) throw new KernelError('not_found', `tenant "${agent.tenant}" has no MCP server named "${attachment.server}"`);
  if (!server.enabled) throw new KernelError('conflict', `MCP server "${server.name}" is disabled`);
  const what = 'resource' in attachment ? `resource ${attachment.resource}` : `prompt ${attachment.prompt}`;
  let text: string;
  try {
    text = 'resource' in attachment ? await deps.mcp.readResource(server, attachment.resource) : await deps.mcp.getPrompt(server, attachment.prompt, attachment.arguments);
  } catch (err) {
    throw new KernelError(err instanceof KernelError && err.code === 'unavailable' ? 'unavailable' : 'invalid_input', `could not read ${what} of MCP server "${server.name}": ${reasonOf(err)}`);
  } finally {
    await deps.mcp.forget(server.id);
  }
  const body = `[${server.name} ${what}]\n${text.length > MAX_ATTACHMENT_CHARS ? `${text.slice(0, MAX_ATTACHMENT_CHARS)}… [cut at ${MAX_ATTACHMENT_CHARS} characters]` : text}`;
  const { pageId } = await sendMessage(deps, agentId, body, { pinned: true, meta: { mcp: { server: server.name, ...('resource' in attachment ? { resource: attachment.resource } : { prompt: attachment.prompt }) } } });
  await appendAudit(deps.db, { actor, action: 'agent.mcp_attached', subject: agentId, data: { server: server.name, what, pageId }, idempotencyKey: `mcp.attach:${pageId}` });
  const [page] = await deps.db.select({ tokens: contextPages.tokens }).from(contextPages).where(eq(contextPages.id, pageId)).limit(1);
  return { pageId, tokens: page?.tokens ?? 0 };
}
