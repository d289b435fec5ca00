import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc, eq } from 'drizzle-orm';
import { auditLog, mcpServers, toolCalls } from '../db/schema';
import { freePort } from '../infra/free-port';
import { rootFetch, TEST_ROOT_KEY } from './support/keys';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

// Real MCP servers from npm, a real stack: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const EVERYTHING = new URL('../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url).pathname;
const FILESYSTEM = new URL('../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js', import.meta.url).pathname;
const NODE_MODULES = new URL('../node_modules/', import.meta.url).pathname.replace(/\/$/, '');
const sandbox = mkdtempSync(join(tmpdir(), 'aok-mcp-fs-'));
// The filesystem server runs sandboxed as uid 65533: the directory it may write must be writable by it.
chmodSync(sandbox, 0o777);
let httpServer: ReturnType<typeof Bun.spawn> | undefined;
let httpUrl = '';

const api = (path: string, init: RequestInit = {}) => rootFetch(`${suite.stack.apiUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
const register = async (body: Record<string, unknown>) => {
  const res = await api('/mcp/servers', { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { id: string; tools: Array<{ name: string; requiresApproval: boolean; enabled: boolean }>; detail?: string; secretNames?: string[] } };
};
const pageBodies = async (id: string) => ((await (await api(`/agents/${id}/pages`)).json()) as { pages: Array<{ kind: string; body: string }> }).pages;
const callsOf = (id: string) => suite.stack.db.db.select().from(toolCalls).where(eq(toolCalls.agentId, id));

beforeAll(async () => {
  // server-everything over Streamable HTTP, on a port of its own.
  const port = await freePort();
  httpServer = Bun.spawn([process.execPath, EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdout: 'ignore', stderr: 'ignore' });
  httpUrl = `http://127.0.0.1:${port}/mcp`;
  await waitFor(() => fetch(httpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' }).then((r) => r.status).catch(() => 0), (s) => s > 0, 30_000, 'server-everything over HTTP');
});
afterAll(() => {
  httpServer?.kill();
  rmSync(sandbox, { recursive: true, force: true });
});

describe('MCP servers as tool sources', () => {
  test('stdio: registered with a secret env, its tools listed as server.tool; an agent calls one and reads its result', async () => {
    const r = await register({ name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: { AOK_TEST_SECRET: 'sesame' }, sandbox: { read: [NODE_MODULES] } });
    expect(r.status).toBe(201);
    expect(r.body.tools.map((t) => t.name)).toContain('everything.echo');
    expect(r.body.secretNames).toEqual(['env:AOK_TEST_SECRET']);
    // The secret is sealed at rest and never returned.
    const [row] = await suite.stack.db.db.select().from(mcpServers).where(eq(mcpServers.id, r.body.id));
    expect(row!.secrets).toStartWith('aead:');
    expect(row!.secrets).not.toContain('sesame');
    expect(JSON.stringify(await (await api(`/mcp/servers/${r.body.id}`)).json())).not.toContain('sesame');
    // The same name twice is a conflict; an unreachable command is refused with a sentence and stores nothing.
    expect((await register({ name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] })).status).toBe(409);
    const broken = await register({ name: 'broken', transport: 'stdio', command: '/nonexistent/mcp-server' });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toContain('could not list the tools of MCP server "broken"');

    const agent = await suite.agents.spawn({ name: 'mcp-echo', model: 'scripted:2', tools: ['everything.echo'], input: 'CALL everything.echo {"message":"hello over stdio"}' });
    expect((await suite.agents.settle(agent.id)).status).toBe('completed');
    const [call] = await callsOf(agent.id);
    expect(call).toMatchObject({ tool: 'everything.echo', status: 'succeeded' });
    expect(call!.result).toContain('hello over stdio');
    expect((await pageBodies(agent.id)).some((p) => p.kind === 'tool_result' && p.body.includes('hello over stdio'))).toBe(true);
    // The sealed env reached the server's process (server-everything's get-env prints its environment),
    // and nothing of the worker's: the server runs in the sandbox, as uid 65533, with HOME=/tmp.
    const env = await suite.agents.spawn({ name: 'mcp-env', model: 'scripted:2', tools: ['everything.get-env'], input: 'CALL everything.get-env {}' });
    await suite.agents.settle(env.id);
    const printed = (await callsOf(env.id))[0]!.result!;
    expect(printed).toContain('sesame');
    expect(printed).toContain('"HOME": "/tmp"');
    expect(printed).not.toContain('DATABASE_URL');
    const pids = (await new Response(Bun.spawn(['pgrep', '-f', `${EVERYTHING} stdio`]).stdout).text()).trim().split('\n').filter(Boolean);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect((await new Response(Bun.spawn(['ps', '-o', 'uid=', '-p', pid]).stdout).text()).trim()).toBe('65533');
    // An agent cannot be spawned with a tool its tenant's servers do not have.
    const refused = await api('/agents', { method: 'POST', body: JSON.stringify({ name: 'x', role: 'r', goal: 'g', input: 'x', tools: ['everything.no-such-tool'] }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toContain('everything.no-such-tool');
  });

  test('Streamable HTTP: a server by URL, a wildcard allow-list, a structured answer', async () => {
    const r = await register({ name: 'remote', transport: 'http', url: httpUrl, headers: { authorization: 'Bearer not-checked-by-this-server' } });
    expect(r.status).toBe(201);
    expect(r.body.tools.map((t) => t.name)).toContain('remote.get-sum');
    const agent = await suite.agents.spawn({ name: 'mcp-sum', model: 'scripted:2', tools: ['remote.*'], input: 'CALL remote.get-sum {"a":19,"b":23}' });
    expect((await suite.agents.settle(agent.id)).status).toBe('completed');
    const [call] = await callsOf(agent.id);
    expect(call).toMatchObject({ tool: 'remote.get-sum', status: 'succeeded' });
    expect(call!.result).toContain('42');
  });

  test('approval: a filesystem write waits for its exact call id; a tool disabled meanwhile is refused at the next step', async () => {
    const fs = await register({ name: 'files', transport: 'stdio', command: process.execPath, args: [FILESYSTEM, sandbox], approvalTools: ['write_file'], sandbox: { read: [NODE_MODULES], write: [sandbox] } });
    expect(fs.status).toBe(201);
    expect(fs.body.tools.find((t) => t.name === 'files.write_file')?.requiresApproval).toBe(true);
    const [everything] = ((await (await api('/mcp/servers')).json()) as { servers: Array<{ id: string; name: string }> }).servers.filter((s) => s.name === 'everything');
    const target = join(sandbox, 'note.txt');
    const agent = await suite.agents.spawn({
      name: 'mcp-approve',
      model: 'scripted:3',
      tools: ['files.write_file', 'everything.echo'],
      input: `CALL files.write_file {"path":"${target}","content":"approved text"}\nCALL everything.echo {"message":"after the write"}`,
    });
    const waiting = await suite.agents.until(agent.id, (v) => v.pendingApproval !== null, 'the write to wait for approval', 30_000);
    expect(waiting.pendingApproval).toMatchObject({ tool: 'files.write_file' });
    expect(existsSync(target)).toBe(false);
    // While it waits, an admin disables echo: the agent's next step must not be able to call it.
    const patched = await api(`/mcp/servers/${everything!.id}`, { method: 'PATCH', body: JSON.stringify({ disabledTools: ['echo'] }) });
    expect(patched.status).toBe(200);
    const [audit] = await suite.stack.db.db.select().from(auditLog).where(eq(auditLog.action, 'mcp.server.updated')).orderBy(desc(auditLog.seq)).limit(1);
    expect(audit!.data).toMatchObject({ diff: { disabledTools: { from: [], to: ['echo'] } } });
    // A stale call id is refused; the exact one is approved.
    expect((await suite.agents.post(`/agents/${agent.id}/approvals`, { callId: 'not-the-call', approved: true })).status).toBe(409);
    expect((await suite.agents.post(`/agents/${agent.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    expect((await suite.agents.settle(agent.id)).status).toBe('completed');
    expect(readFileSync(target, 'utf8')).toBe('approved text');
    const calls = await callsOf(agent.id);
    expect(calls.find((c) => c.tool === 'files.write_file')).toMatchObject({ status: 'succeeded', decidedBy: 'key:testroot0000' });
    const echo = calls.find((c) => c.tool === 'everything.echo');
    expect(echo).toMatchObject({ status: 'refused' });
    expect(echo!.result).toContain('disabled');
    // Re-enabled for what follows.
    expect((await api(`/mcp/servers/${everything!.id}`, { method: 'PATCH', body: JSON.stringify({ disabledTools: [] }) })).status).toBe(200);
  });

  test('a resource and a prompt of a server, pinned into a waiting agent’s context, are in its next step’s window', async () => {
    const agent = await suite.agents.spawn({ name: 'mcp-attach', model: 'scripted:2', tools: ['files.write_file'], input: `CALL files.write_file {"path":"${join(sandbox, 'attached.txt')}","content":"x"}` });
    const waiting = await suite.agents.until(agent.id, (v) => v.pendingApproval !== null, 'the agent to wait', 30_000);
    const attach = (body: unknown) => api(`/agents/${agent.id}/attachments`, { method: 'POST', body: JSON.stringify(body) });
    const resource = await attach({ server: 'everything', resource: 'demo://resource/static/document/architecture.md' });
    expect(resource.status).toBe(202);
    const prompt = await attach({ server: 'everything', prompt: 'args-prompt', arguments: { city: 'Paris' } });
    expect(prompt.status).toBe(202);
    const pinned = [((await resource.json()) as { pageId: string }).pageId, ((await prompt.json()) as { pageId: string }).pageId];
    expect((await attach({ server: 'nope', prompt: 'x' })).status).toBe(404);
    expect((await attach({ server: 'everything', resource: 'demo://no/such/thing' })).status).toBe(400);
    const pages = await pageBodies(agent.id);
    expect(pages.some((p) => p.body.startsWith('[everything prompt args-prompt]') && p.body.includes("What's weather in Paris?"))).toBe(true);
    expect(pages.some((p) => p.body.startsWith('[everything resource demo://resource/static/document/architecture.md]') && p.body.length > 200)).toBe(true);
    expect((await suite.agents.post(`/agents/${agent.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true })).status).toBeLessThan(300);
    expect((await suite.agents.settle(agent.id)).status).toBe('completed');
    const { steps } = (await (await api(`/agents/${agent.id}/metrics`)).json()) as { steps: Array<{ step: number; pages?: Array<{ id: string; why: string }> }> };
    const window = steps.find((m) => m.step === 2)!.pages!;
    for (const id of pinned) expect(window.find((p) => p.id === id)?.why).toBe('pinned');
  });

  test('a stdio server killed mid-call: the model reads an error and the agent goes on; the next call starts the server again', async () => {
    const agent = await suite.agents.spawn({
      name: 'mcp-killed',
      model: 'scripted:3',
      tools: ['everything.*'],
      input: 'CALL everything.trigger-long-running-operation {"duration":30,"steps":30}\nCALL everything.echo {"message":"still here"}',
    });
    await suite.agents.until(agent.id, (v) => v.step >= 1, 'the long call to start', 30_000);
    // The worker's stdio child for this server (the API closed its own after listing).
    const pids = async () => (await new Response(Bun.spawn(['pgrep', '-f', `${EVERYTHING} stdio`]).stdout).text()).trim().split('\n').filter(Boolean);
    const running = await waitFor(pids, (p) => p.length > 0, 20_000, 'the stdio server process');
    await Bun.sleep(1_000);
    for (const pid of running) process.kill(Number(pid), 'SIGKILL');
    const done = await suite.agents.settle(agent.id);
    expect(done.status).toBe('completed');
    const calls = await callsOf(agent.id);
    const long = calls.find((c) => c.tool === 'everything.trigger-long-running-operation');
    expect(long).toMatchObject({ status: 'failed' });
    expect(long!.result).toMatch(/went away|closed/i);
    expect(calls.find((c) => c.tool === 'everything.echo')).toMatchObject({ status: 'succeeded' });
  });

  test('a killed agent cancels its MCP call; a removed server is refused; the registry is tenant-scoped and admin-only', async () => {
    const agent = await suite.agents.spawn({ name: 'mcp-cancel', model: 'scripted:2', tools: ['everything.*'], input: 'CALL everything.trigger-long-running-operation {"duration":60,"steps":60}' });
    await suite.agents.until(agent.id, (v) => v.step >= 1, 'the long call to start', 30_000);
    await Bun.sleep(1_500);
    const killedAt = Date.now();
    expect((await suite.agents.post(`/agents/${agent.id}/kill`, { reason: 'enough' })).status).toBe(202);
    expect((await suite.agents.settle(agent.id)).status).toBe('terminated');
    expect(Date.now() - killedAt).toBeLessThan(15_000); // not the 60 s the call would take
    const [call] = await callsOf(agent.id);
    expect(call?.status ?? 'killed').toBe('killed');

    const list = (await (await api('/mcp/servers')).json()) as { servers: Array<{ id: string; name: string }> };
    const remote = list.servers.find((s) => s.name === 'remote')!;
    expect((await api(`/mcp/servers/${remote.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await suite.agents.spawn({ name: 'mcp-gone', model: 'scripted:2', tools: ['everything.echo'], input: 'CALL remote.get-sum {"a":1,"b":2}' });
    await suite.agents.settle(after.id);
    expect((await callsOf(after.id))[0]).toMatchObject({ tool: 'remote.get-sum', status: 'refused' });
    expect((await api(`/mcp/servers/${remote.id}`)).status).toBe(404);

    // A stdio server is a command the hosts run: only root registers one; a tenant admin may register
    // public HTTP servers only (not loopback, private or link-local addresses: no SSRF into the cluster).
    const admin = ((await (await suite.agents.post('/keys', { name: 'mcp-admin', scopes: ['admin'] })).json()) as { key: string }).key;
    const asAdmin = (body: unknown) => fetch(`${suite.stack.apiUrl}/mcp/servers`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const stdioByAdmin = await asAdmin({ name: 'sneaky', transport: 'stdio', command: '/bin/sh' });
    expect(stdioByAdmin.status).toBe(403);
    expect(((await stdioByAdmin.json()) as { detail: string }).detail).toContain('only a root key may register one');
    for (const url of [httpUrl, 'http://169.254.169.254/latest/meta-data', 'http://localhost:5432/']) {
      const res = await asAdmin({ name: 'inside', transport: 'http', url });
      expect([url, res.status]).toEqual([url, 403]);
    }
    // Viewers do not see a server's arguments or URL query.
    const viewerKey = ((await (await suite.agents.post('/keys', { name: 'mcp-viewer-2', scopes: ['viewer'] })).json()) as { key: string }).key;
    const seen = (await (await fetch(`${suite.stack.apiUrl}/mcp/servers`, { headers: { authorization: `Bearer ${viewerKey}` } })).json()) as { servers: Array<{ name: string; args: string[] }> };
    expect(seen.servers.find((s) => s.name === 'everything')!.args).toEqual(['(hidden: admin scope)']);

    // Registering runs a command on the workers: an operator cannot; another tenant sees none of ours.
    const operator = ((await (await suite.agents.post('/keys', { name: 'mcp-operator', scopes: ['operator'] })).json()) as { key: string }).key;
    const asOperator = await fetch(`${suite.stack.apiUrl}/mcp/servers`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'sneaky', transport: 'stdio', command: '/bin/sh' }) });
    expect(asOperator.status).toBe(403);
    const globex = ((await (await suite.agents.post('/keys', { name: 'mcp-globex', tenant: 'globex', scopes: ['admin'] })).json()) as { key: string }).key;
    const theirs = (await (await fetch(`${suite.stack.apiUrl}/mcp/servers`, { headers: { authorization: `Bearer ${globex}` } })).json()) as { servers: unknown[] };
    expect(theirs.servers).toEqual([]);
    const everything = list.servers.find((s) => s.name === 'everything')!;
    expect((await fetch(`${suite.stack.apiUrl}/mcp/servers/${everything.id}`, { headers: { authorization: `Bearer ${globex}` } })).status).toBe(404);
    // …and their agents cannot name our servers' tools.
    const spawn = await fetch(`${suite.stack.apiUrl}/agents`, { method: 'POST', headers: { authorization: `Bearer ${globex}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', role: 'r', goal: 'g', input: 'x', tools: ['everything.echo'] }) });
    expect(spawn.status).toBe(400);
  });
});

describe('the kernel as an MCP server', () => {
  const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '');

  test('over stdio (bun run mcp): an MCP client spawns an agent, sees it wait, approves its call, reads the usage', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const client = new Client({ name: 'test-ide', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [new URL('../bin/mcp.ts', import.meta.url).pathname], env: { ...(process.env as Record<string, string>), AOS_URL: suite.stack.apiUrl!, AOS_KEY: TEST_ROOT_KEY, AOS_CONFIG: '/nonexistent/aos.json' }, stderr: 'ignore' }));
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['approve_tool_call', 'describe_agent', 'kill_agent', 'list_agents', 'message_agent', 'spawn_agent', 'usage']);
      const spawned = await client.callTool({ name: 'spawn_agent', arguments: { name: 'from-mcp', role: 'r', goal: 'publish', input: 'CALL publish {"channel":"mcp","text":"hi"}', model: 'scripted:2', tools: ['publish'] } });
      expect(spawned.isError).toBeFalsy();
      const id = /^spawned (\S+)/.exec(text(spawned))![1]!;
      const waiting = await suite.agents.until(id, (v) => v.pendingApproval !== null, 'the MCP-spawned agent to wait');
      expect(text(await client.callTool({ name: 'describe_agent', arguments: { id } }))).toContain('waiting for approval');
      const wrong = await client.callTool({ name: 'approve_tool_call', arguments: { id, callId: 'nope' } });
      expect(wrong.isError).toBe(true);
      expect(text(wrong)).toMatch(/^409: /);
      expect((await client.callTool({ name: 'approve_tool_call', arguments: { id, callId: waiting.pendingApproval!.callId } })).isError).toBeFalsy();
      expect((await suite.agents.settle(id)).status).toBe('completed');
      expect(text(await client.callTool({ name: 'list_agents', arguments: { limit: 50 } }))).toContain(`${id}\tcompleted`);
      expect(text(await client.callTool({ name: 'usage', arguments: {} }))).toMatch(/^default: \$\d+\.\d{4} over \d+ steps/);
    } finally {
      await client.close();
    }
  });

  test('over Streamable HTTP at /mcp: the key’s scopes hold (a viewer lists but cannot spawn; no key, no session)', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const viewer = ((await (await suite.agents.post('/keys', { name: 'mcp-viewer', scopes: ['viewer'] })).json()) as { key: string }).key;
    const client = new Client({ name: 'test-http', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${suite.stack.apiUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${viewer}` } } }));
    try {
      expect((await client.listTools()).tools).toHaveLength(7);
      const listed = await client.callTool({ name: 'list_agents', arguments: {} });
      expect(listed.isError).toBeFalsy();
      const spawn = await client.callTool({ name: 'spawn_agent', arguments: { name: 'nope', role: 'r', goal: 'g', input: 'x' } });
      expect(spawn.isError).toBe(true);
      expect(text(spawn)).toMatch(/^403: /);
    } finally {
      await client.close();
    }
    const anonymous = new Client({ name: 'anonymous', version: '1.0.0' });
    await expect(anonymous.connect(new StreamableHTTPClientTransport(new URL(`${suite.stack.apiUrl}/mcp`)))).rejects.toThrow();
  });
});
