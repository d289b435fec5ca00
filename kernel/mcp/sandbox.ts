import { z } from 'zod';

/** How a stdio MCP server is confined: bubblewrap as in run_code, with the network and the paths it declares. */
export const mcpSandboxSchema = z
  .object({
    /** Reach the network (its own namespace otherwise: no network at all). */
    network: z.boolean().default(false),
    /** Host paths it may read (bound read-only at the same path): its code, its packages. */
    read: z.array(z.string().regex(/^\/[^\0]*$/, 'an absolute path').max(1_000)).max(32).default([]),
    /** Host paths it may write (bound read-write at the same path; they must be writable by uid 65533). */
    write: z.array(z.string().regex(/^\/[^\0]*$/, 'an absolute path').max(1_000)).max(32).default([]),
  })
  .strict();
/** A server's sandbox. */
export type McpSandbox = z.infer<typeof mcpSandboxSchema>;

/** The uid and gid a sandboxed MCP server runs as: not root, and not run_code's `nobody` (its process limit is per user). */
export const MCP_SANDBOX_UID = 65533;

/** The host tools the sandbox is built with. */
export interface SandboxTools {
  setpriv: string;
  bwrap: string;
  prlimit: string;
}

/**
 * The command line that runs a stdio MCP server confined: as uid 65533 (setpriv), in new user, PID,
 * IPC, UTS and (unless it declares `network`) network namespaces, unable to make user namespaces of
 * its own, with a root holding /usr read-only, its command, the paths it declares (read-only or
 * read-write), a private /tmp, and per-process limits (prlimit: processes, file size, open files).
 * It dies with the worker. Its environment is what the worker passes (no host variables).
 * `etc` are the host's name-resolution and certificate files to bind when it has the network.
 */
export function mcpSandboxArgv(tools: SandboxTools, command: string, args: readonly string[], sandbox: McpSandbox, etc: readonly string[] = []): string[] {
  const commandBind = command.startsWith('/usr/') ? [] : ['--ro-bind', command, command];
  return [
    tools.setpriv, `--reuid=${MCP_SANDBOX_UID}`, `--regid=${MCP_SANDBOX_UID}`, '--clear-groups', '--no-new-privs',
    tools.bwrap,
    '--unshare-all', ...(sandbox.network ? ['--share-net'] : []), '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin',
    // The private /tmp first: paths it declares under /tmp are bound over it, not hidden by it.
    '--proc', '/proc', '--dev', '/dev',
    '--tmpfs', '/tmp',
    ...commandBind,
    ...sandbox.read.flatMap((p) => ['--ro-bind', p, p]),
    ...sandbox.write.flatMap((p) => ['--bind', p, p]),
    ...(sandbox.network ? etc.flatMap((p) => ['--ro-bind', p, p]) : []),
    '--chdir', '/tmp',
    '--',
    tools.prlimit, '--nproc=512', `--fsize=${1024 * 1024 * 1024}`, '--nofile=1024', '--core=0',
    '--',
    command, ...args,
  ];
}
