import { z } from 'zod';
import { mcpSandboxSchema } from './sandbox';

/** A server's name: the namespace of its tools (`<name>.<tool>`), lower-case, unique per tenant. */
export const mcpServerNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a server name is 1–32 lower-case letters, digits, "_" or "-", starting with a letter');

const secretValues = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'names are letters, digits, "_" or "-"'), z.string().max(8_000)).refine((r) => Object.keys(r).length <= 64, 'at most 64 entries');
const toolList = z.array(z.string().min(1).max(128)).max(500);

/** What the tools of a server obey, settable at registration and changed later with PATCH. */
export const mcpPolicySchema = z.object({
  enabled: z.boolean().default(true),
  /** Every call to this server's tools waits for a person's approval. */
  requiresApproval: z.boolean().default(false),
  /** These tools' calls wait for approval. */
  approvalTools: toolList.default([]),
  /** No agent may call these tools (refused at the next step). */
  disabledTools: toolList.default([]),
  /** Each call's deadline. */
  timeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
});

const common = { name: mcpServerNameSchema, tenant: z.string().trim().min(1).max(80).default('default'), ...mcpPolicySchema.shape };

/** The body of `POST /mcp/servers`: how the server is reached (a command the worker starts, or a Streamable HTTP endpoint) and its policy. */
export const mcpServerSpecSchema = z.discriminatedUnion('transport', [
  z.object({
    transport: z.literal('stdio'),
    command: z.string().min(1).max(1_000),
    args: z.array(z.string().max(4_000)).max(100).default([]),
    /** Environment for the process, kept as a secret (sealed at rest, never returned). */
    env: secretValues.default({}),
    /** Confined like run_code (the default: no network, nothing of the host but /usr and the command), or `false` to run it unconfined. */
    sandbox: z.union([mcpSandboxSchema, z.literal(false)]).default({ network: false, read: [], write: [] }),
    ...common,
  }).strict(),
  z.object({
    transport: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }).max(2_000),
    /** Request headers (e.g. Authorization), kept as secrets. */
    headers: secretValues.default({}),
    ...common,
  }).strict(),
]);
/** A validated registration. */
export type McpServerSpec = z.infer<typeof mcpServerSpecSchema>;

/** The body of `PATCH /mcp/servers/:id`: any policy key, changed alone. */
export const mcpPolicyPatchSchema = mcpPolicySchema.partial().strict().refine((p) => Object.keys(p).length > 0, 'name at least one of enabled, requiresApproval, approvalTools, disabledTools, timeoutMs');
/** A validated policy change. */
export type McpPolicyPatch = z.infer<typeof mcpPolicyPatchSchema>;

/** A kernel tool name split into its server and tool (`server.tool`), or null for a built-in name. */
export function splitToolName(name: string): { server: string; tool: string } | null {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return null;
  return { server: name.slice(0, dot), tool: name.slice(dot + 1) };
}

/** Whether an agent's allow-list lets it call `server.tool`: the exact name, or `server.*`. */
export function allowsMcpTool(allowed: readonly string[], server: string, tool: string): boolean {
  return allowed.includes(`${server}.${tool}`) || allowed.includes(`${server}.*`);
}

/** The MCP servers an allow-list names (by `server.tool` or `server.*`). */
export function mcpServersNamed(allowed: readonly string[]): string[] {
  return [...new Set(allowed.flatMap((n) => splitToolName(n)?.server ?? []))];
}

/** The body of `POST /agents/:id/attachments`: a resource or a prompt of one of the tenant's MCP servers, pinned into the agent's context. */
export const mcpAttachmentSchema = z.union([
  z.object({ server: mcpServerNameSchema, resource: z.string().min(1).max(2_000).describe('the resource URI') }).strict(),
  z.object({ server: mcpServerNameSchema, prompt: z.string().min(1).max(200), arguments: z.record(z.string(), z.string().max(10_000)).default({}) }).strict(),
]);
/** A validated attachment. */
export type McpAttachment = z.infer<typeof mcpAttachmentSchema>;
