#!/usr/bin/env bun
/**
 * `bun run mcp`: the kernel as an MCP server over stdio, for an IDE or a desktop assistant. Each
 * tool calls the kernel's HTTP API at AOS_URL with AOS_KEY (or the `aos` config file), so it acts
 * with that key's scopes and tenant. Nothing but the protocol is written to stdout.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { kernelMcpServer } from '../api/mcp/kernel-tools';
import { resolveSettings } from '../cli/settings';

const settings = resolveSettings({});
const server = kernelMcpServer((method, path, body) =>
  fetch(`${settings.url}${path}`, {
    method,
    headers: { ...(settings.key ? { authorization: `Bearer ${settings.key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }),
);
await server.connect(new StdioServerTransport());
process.stderr.write(`agent-os-kernel MCP server on stdio, for ${settings.url}\n`);
