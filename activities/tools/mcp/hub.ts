import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { existsSync, realpathSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { mcpServers, type McpToolRecord } from '../../../db/schema';
import { KernelError, rootMessage } from '../../../kernel/errors';
import type { Logger } from '../../../infra/logger';
import { resultText } from './result-text';
import type { SecretBox } from './secret-box';
import { mcpSandboxArgv } from '../../../kernel/mcp/sandbox';
import { sandboxTools } from '../run-code';

/** What the hub needs of a registered server to reach it. */
export type McpServerRow = Pick<typeof mcpServers.$inferSelect, 'id' | 'name' | 'version' | 'transport' | 'command' | 'args' | 'url' | 'secrets' | 'sandbox'>;

/** A tool call's outcome: the text the model reads, and whether the server called it an error. */
export interface McpCallResult {
  text: string;
  isError: boolean;
}

interface Pooled {
  version: number;
  client: Client;
  closed: boolean;
  lastUsed: number;
}

const CLIENT_INFO = { name: 'agent-os-kernel', version: '0.1.0' };

/**
 * The MCP clients of one process (a worker node or the API), one connection per server, reused across
 * calls. A stdio server that exits is started again on the next call; a server changed through the
 * API (its version bumped) gets a fresh connection; a server that announces a changed tool list has
 * it listed again and stored, so the next step sees it.
 */
export class McpHub {
  private readonly pool = new Map<string, Promise<Pooled>>();
  private readonly sweeper: ReturnType<typeof setInterval> | undefined;

  /** `idleMs`: a connection unused this long is closed (a removed or disabled server's too); 0 keeps them. */
  constructor(private readonly deps: { db: Db; box: SecretBox; logger: Logger; idleMs?: number }) {
    const idleMs = deps.idleMs ?? 300_000;
    if (idleMs > 0) {
      this.sweeper = setInterval(() => void this.closeIdle(idleMs), Math.min(60_000, idleMs));
      this.sweeper.unref?.();
    }
  }

  /** Closes the connections unused for `idleMs` (a stdio server is stopped). */
  async closeIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    for (const [id, pending] of this.pool) {
      const p = await pending.catch(() => undefined);
      if (p && now - p.lastUsed >= idleMs && this.pool.get(id) === pending) await this.forget(id);
    }
  }

  /** Every tool the server lists now (all pages). */
  async listTools(server: McpServerRow, signal?: AbortSignal): Promise<McpToolRecord[]> {
    const { client } = await this.connection(server);
    return this.guard(server, () => listAll(client, signal));
  }

  /** Calls a tool; a server that is down, dies mid-call or times out is a KernelError `unavailable` naming it. */
  async callTool(server: McpServerRow, tool: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number; idempotencyKey: string }): Promise<McpCallResult> {
    const { client } = await this.connection(server);
    const result = await this.guard(server, () =>
      client.callTool({ name: tool, arguments: args, _meta: { 'agent-os-kernel/idempotency-key': options.idempotencyKey } }, undefined, { signal: options.signal, timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs }),
    );
    return { text: resultText(result), isError: result.isError === true };
  }

  /** A resource's text (binary contents are described, not returned). */
  async readResource(server: McpServerRow, uri: string): Promise<string> {
    const { client } = await this.connection(server);
    const r = await this.guard(server, () => client.readResource({ uri }));
    return r.contents.map((c) => ('text' in c && typeof c.text === 'string' ? c.text : `[binary ${c.mimeType ?? ''} resource ${c.uri}]`)).join('\n');
  }

  /** A prompt's messages as text, one per line with its role. */
  async getPrompt(server: McpServerRow, name: string, args: Record<string, string>): Promise<string> {
    const { client } = await this.connection(server);
    const r = await this.guard(server, () => client.getPrompt({ name, arguments: args }));
    return r.messages.map((m) => `${m.role}: ${resultText({ content: [m.content] })}`).join('\n');
  }

  /** Drops a server's connection (it was deleted or disabled). */
  async forget(serverId: string): Promise<void> {
    const pooled = this.pool.get(serverId);
    this.pool.delete(serverId);
    const p = await pooled?.catch(() => undefined);
    await p?.client.close().catch(() => undefined);
  }

  /** Closes every connection (stdio servers are stopped). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.pool.keys()].map((id) => this.forget(id)));
  }

  private async guard<T>(server: McpServerRow, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const message = rootMessage(err);
      // The protocol's own errors (bad arguments, unknown tool) are the server's answer; a closed
      // connection or a timeout means the server is gone: the next call starts it again.
      if (/connection closed|not connected|timed out|ECONNREFUSED|fetch failed|terminated/i.test(message)) {
        await this.forget(server.id);
        throw new KernelError('unavailable', `MCP server "${server.name}" went away or did not answer: ${message}`);
      }
      throw err;
    }
  }

  private async connection(server: McpServerRow): Promise<Pooled> {
    for (;;) {
      const existing = this.pool.get(server.id);
      if (!existing) break;
      const p = await existing.catch(() => undefined);
      // Another call replaced it meanwhile: look again (one connection per server, never two).
      if (this.pool.get(server.id) !== existing) continue;
      if (p && !p.closed && p.version === server.version) {
        p.lastUsed = Date.now();
        return p;
      }
      await this.forget(server.id);
    }
    const made = this.connect(server);
    this.pool.set(server.id, made);
    try {
      return await made;
    } catch (err) {
      if (this.pool.get(server.id) === made) this.pool.delete(server.id);
      throw new KernelError('unavailable', `MCP server "${server.name}" cannot be reached: ${rootMessage(err)}`);
    }
  }

  private async connect(server: McpServerRow): Promise<Pooled> {
    const secrets = server.secrets ? this.deps.box.open(server.secrets) : { env: {}, headers: {} };
    const transport = server.transport === 'stdio' ? stdioTransport(server, secrets.env) : new StreamableHTTPClientTransport(new URL(server.url ?? ''), { requestInit: { headers: secrets.headers, redirect: 'error' } });
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const pooled: Pooled = { version: server.version, client, closed: false, lastUsed: Date.now() };
    client.onclose = () => {
      pooled.closed = true;
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      try {
        const tools = await listAll(client);
        await this.deps.db.update(mcpServers).set({ tools, toolsListedAt: new Date() }).where(eq(mcpServers.id, server.id));
        this.deps.logger.info({ server: server.id, tools: tools.length }, 'an MCP server changed its tools: listed again');
      } catch (err) {
        this.deps.logger.warn({ server: server.id, err: rootMessage(err) }, 'an MCP server changed its tools, and listing them failed');
      }
    });
    await client.connect(transport, { timeout: 20_000 });
    return pooled;
  }
}

/**
 * A stdio server's transport: confined (see kernel/mcp/sandbox.ts) unless registered unconfined.
 * Its environment is only PATH, HOME and its own secrets (passed as the environment, never on a
 * command line another host user could read).
 */
function stdioTransport(server: McpServerRow, secretEnv: Record<string, string>): StdioClientTransport {
  if (!server.sandbox) return new StdioClientTransport({ command: server.command ?? '', args: server.args, env: { ...getDefaultEnvironment(), ...secretEnv }, stderr: 'ignore' });
  const tools = sandboxTools(['/usr/bin/bwrap', '/bin/bwrap']);
  if (typeof tools === 'string') throw new KernelError('unavailable', `MCP server "${server.name}" is to run sandboxed, and this node cannot: ${tools} (or register it with "sandbox": false)`);
  const resolved = Bun.which(server.command ?? '');
  if (!resolved) throw new KernelError('unavailable', `MCP server "${server.name}": ${server.command} is not installed on this node`);
  const [command, ...args] = mcpSandboxArgv(tools, realpathSync(resolved), server.args, server.sandbox, NETWORK_ETC.filter((p) => existsSync(p)));
  return new StdioClientTransport({ command: command!, args, env: { PATH: '/usr/bin:/bin', HOME: '/tmp', ...secretEnv }, stderr: 'ignore' });
}

/** What name resolution and TLS need from the host's /etc when a sandboxed server has the network. */
const NETWORK_ETC = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/ssl', '/etc/ca-certificates'];

async function listAll(client: Client, signal?: AbortSignal): Promise<McpToolRecord[]> {
  const tools: McpToolRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, signal ? { signal } : {});
    for (const t of page.tools) tools.push({ name: t.name, description: t.description ?? t.title ?? t.name, inputSchema: t.inputSchema as Record<string, unknown>, annotations: (t.annotations ?? {}) as Record<string, unknown> });
    cursor = page.nextCursor;
  } while (cursor && tools.length < 5_000);
  return tools;
}
