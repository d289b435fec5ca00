import { boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { McpSandbox } from '../../kernel/mcp/sandbox';

/**
 * Tools: an MCP server a tenant registered as a tool source, with the tools it last listed. Its
 * secrets (stdio env, HTTP headers) are sealed with the kernel's codec key and never returned.
 */
export const mcpServers = pgTable(
  'mcp_servers',
  {
    /** `mcp.<name>-<random>`. */
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    /** The namespace of its tools: `<name>.<tool>`. Unique per tenant. */
    name: text('name').notNull(),
    transport: text('transport').notNull().$type<'stdio' | 'http'>(),
    /** stdio: the command and its arguments. */
    command: text('command'),
    args: jsonb('args').notNull().$type<string[]>().default([]),
    /** stdio: how it is confined (network, paths); null runs it unconfined. */
    sandbox: jsonb('sandbox').$type<McpSandbox>(),
    /** http: the Streamable HTTP endpoint. */
    url: text('url'),
    /** `{env, headers}`, sealed (see activities/tools/mcp/secret-box.ts); null when it has none. */
    secrets: text('secrets'),
    /** Names of the secret env vars and headers (never their values), for the view. */
    secretNames: jsonb('secret_names').notNull().$type<string[]>().default([]),
    enabled: boolean('enabled').notNull().default(true),
    /** Every call to this server's tools waits for a person's approval. */
    requiresApproval: boolean('requires_approval').notNull().default(false),
    /** Tools of this server whose calls wait for approval. */
    approvalTools: jsonb('approval_tools').notNull().$type<string[]>().default([]),
    /** Tools of this server no agent may call. */
    disabledTools: jsonb('disabled_tools').notNull().$type<string[]>().default([]),
    timeoutMs: integer('timeout_ms').notNull().default(30_000),
    /** The tools as the server last listed them: name, description, input schema, annotations. */
    tools: jsonb('tools').notNull().$type<McpToolRecord[]>().default([]),
    toolsListedAt: timestamp('tools_listed_at', { withTimezone: true }),
    /** Bumped when how the server is reached changes: pooled connections made from an older version are replaced. */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mcp_servers_tenant_name').on(t.tenant, t.name)],
);

/** One tool as an MCP server listed it. */
export interface McpToolRecord {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** MCP tool annotations (readOnlyHint, destructiveHint, idempotentHint, openWorldHint). */
  annotations: Record<string, unknown>;
}
