import type { ToolSchema } from './types';

/**
 * A kernel tool name as providers accept it (`^[A-Za-z0-9_-]{1,64}$`): an MCP tool's `server.tool`
 * becomes `server__tool`; a name that would still not fit (another character, or too long) is cut
 * and given a hash of the whole, so two names never meet. Built-in names pass unchanged.
 */
export function wireToolName(name: string): string {
  const plain = name.replace(/\./g, '__');
  if (/^[A-Za-z0-9_-]{1,64}$/.test(plain)) return plain;
  // Lossy (another character, or too long): a hash of the whole name keeps two such names apart.
  const hash = Bun.hash(name).toString(36).slice(0, 8);
  return `${plain.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 55)}_${hash}`;
}

/** The kernel name of a tool a provider called by its wire name (matched against the tools offered; unknown names pass as they are). */
export function kernelToolName(wire: string, offered: readonly ToolSchema[] | undefined): string {
  return offered?.find((t) => wireToolName(t.name) === wire)?.name ?? wire;
}
