import type { ToolSchema } from './types';

/**
 * A kernel tool name as providers accept it (`^[A-Za-z0-9_-]{1,64}$`): an MCP tool's `server.tool`
 * becomes `server__tool`, any other character `_`. Built-in names pass unchanged.
 */
export function wireToolName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => (c === '.' ? '__' : '_')).slice(0, 64);
}

/** The kernel name of a tool a provider called by its wire name (matched against the tools offered; unknown names pass as they are). */
export function kernelToolName(wire: string, offered: readonly ToolSchema[] | undefined): string {
  return offered?.find((t) => wireToolName(t.name) === wire)?.name ?? wire;
}
