/** What sandboxed code may use: every limit is enforced by the kernel (rlimits) or by bubblewrap. */
export interface SandboxLimits {
  /** Wall-clock time before the whole sandbox is killed. */
  wallMs: number;
  /** CPU seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Address space of each process in bytes (RLIMIT_AS). */
  memoryBytes: number;
  /** Memory of all the run's processes together (a cgroup, where the node may create one). */
  runMemoryBytes: number;
  /** Processes and threads of the sandbox user (RLIMIT_NPROC): a fork bomb stops here. */
  processes: number;
  /** Largest file it may write (RLIMIT_FSIZE). */
  fileBytes: number;
  /** Size of its private /tmp (the only writable place). */
  tmpBytes: number;
  /** Bytes of stdout and of stderr kept; past this the sandbox is killed. */
  outputBytes: number;
}

/** The defaults (the README lists them). */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  wallMs: 15_000,
  cpuSeconds: 5,
  memoryBytes: 768 * 1024 * 1024,
  runMemoryBytes: 1024 * 1024 * 1024,
  processes: 64,
  fileBytes: 4 * 1024 * 1024,
  tmpBytes: 16 * 1024 * 1024,
  outputBytes: 64 * 1024,
};

/** The uid and gid code runs as: `nobody`, never root, so RLIMIT_NPROC binds. */
export const SANDBOX_UID = 65534;

/** Where things are on the host: the tools, and the code to run. */
export interface SandboxPaths {
  setpriv: string;
  bwrap: string;
  prlimit: string;
  /** The directory holding the code file (bound read-only at /code). */
  codeDir: string;
  /** The interpreter's host path and how it runs a file inside the sandbox. */
  interpreter: { hostPath: string; sandboxPath: string; args: readonly string[] };
}

/**
 * The command line that runs code confined: as `nobody` (setpriv), in new user, PID, network, IPC
 * and UTS namespaces (bwrap --unshare-all: no network at all) and no user namespaces of its own,
 * with a root that holds only /usr (read-only), the interpreter, the code (read-only), a read-only
 * /dev and a small private /tmp (the only writable place); an empty environment; and CPU, memory,
 * process and file-size limits (prlimit) per process. Nothing of the host's /etc, /root, /home,
 * /proc or the kernel's own environment is visible. `devices` (the agent's GPU lease) become
 * `CUDA_VISIBLE_DEVICES`.
 */
export function sandboxArgv(paths: SandboxPaths, file: string, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS, devices: readonly string[] = []): string[] {
  const bind = paths.interpreter.hostPath.startsWith('/usr/') ? [] : ['--ro-bind', paths.interpreter.hostPath, paths.interpreter.sandboxPath];
  return [
    paths.setpriv, `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--no-new-privs',
    paths.bwrap,
    // --disable-userns: code cannot make a user namespace of its own (no root inside, no mounts).
    '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/tmp', '--setenv', 'TMPDIR', '/tmp', '--setenv', 'NO_COLOR', '1',
    // The GPUs (or MIG instances) the agent's lease holds, by UUID, for CUDA in the code it runs.
    ...(devices.length ? ['--setenv', 'CUDA_VISIBLE_DEVICES', devices.join(',')] : []),
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin',
    ...bind,
    '--ro-bind', paths.codeDir, '/code',
    '--proc', '/proc', '--dev', '/dev', '--remount-ro', '/dev',
    '--size', String(limits.tmpBytes), '--tmpfs', '/tmp',
    '--remount-ro', '/',
    '--chdir', '/tmp',
    '--',
    paths.prlimit, `--cpu=${limits.cpuSeconds}`, `--as=${limits.memoryBytes}`, `--nproc=${limits.processes}`, `--fsize=${limits.fileBytes}`, '--nofile=64', '--core=0',
    '--',
    paths.interpreter.sandboxPath, ...paths.interpreter.args, `/code/${file}`,
  ];
}
