import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SANDBOX_LIMITS, sandboxArgv, type SandboxLimits, type SandboxPaths } from '../../kernel/tools/sandbox';
import { defineTool } from './registry';
import { createRunCgroup, joinCgroupPrefix } from './sandbox-cgroup';

const LANGUAGES = ['typescript', 'javascript', 'python'] as const;
type Language = (typeof LANGUAGES)[number];

/** Runs so far in this process (names their cgroups). */
let runs = 0;

/** The first of `candidates` that exists, or undefined. */
const firstExisting = (...candidates: string[]) => candidates.find((p) => existsSync(p));

/** How each language runs: Bun for TS/JS (never installing packages), the system Python where installed. */
function interpreterFor(language: Language): SandboxPaths['interpreter'] | string {
  if (language === 'python') {
    const python = firstExisting('/usr/bin/python3');
    return python ? { hostPath: python, sandboxPath: python, args: ['-I', '-S'] } : 'python is not installed on this node';
  }
  // Bun under /usr is inside the sandbox already; elsewhere (~/.bun) its binary is bound read-only.
  const bun = process.execPath;
  return { hostPath: bun, sandboxPath: bun.startsWith('/usr/') ? bun : '/opt/bun/bun', args: ['--no-install', 'run', '--silent'] };
}

const versions = new Map<string, number[] | null>();
/** bubblewrap's version as [major, minor, patch] (asked once per binary), or null when it does not say. */
function bwrapVersion(bwrap: string): number[] | null {
  if (!versions.has(bwrap)) {
    const out = Bun.spawnSync([bwrap, '--version']).stdout.toString();
    const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(out);
    versions.set(bwrap, m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null);
  }
  return versions.get(bwrap) ?? null;
}

/** The tools a sandbox needs, or why it cannot run: it never runs code without them. */
export function sandboxTools(bwrapCandidates: readonly string[]): Omit<SandboxPaths, 'codeDir' | 'interpreter'> | string {
  const bwrap = firstExisting(...bwrapCandidates);
  if (!bwrap) return 'bubblewrap (bwrap) is not installed on this node, and run_code never runs code unsandboxed (apt-get install bubblewrap)';
  const version = bwrapVersion(bwrap);
  const [major = 0, minor = 0] = version ?? [];
  if (!version || (major === 0 && minor < 8)) return `bubblewrap ${version?.join('.') ?? '(unknown version)'} is too old: run_code needs 0.8 or later (--disable-userns), and never runs code less confined`;
  const setpriv = firstExisting('/usr/bin/setpriv', '/bin/setpriv');
  const prlimit = firstExisting('/usr/bin/prlimit', '/bin/prlimit');
  if (!setpriv || !prlimit) return 'setpriv and prlimit (util-linux) are needed to confine code; run_code refuses to run without them';
  return { bwrap, setpriv, prlimit };
}

/** What a run produced. */
export interface SandboxRun {
  exitCode: number | null;
  /** Why it ended when it did not end by itself: `wall_clock`, `output_limit`, `cancelled`; null otherwise. */
  killed: 'wall_clock' | 'output_limit' | 'cancelled' | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** Reads a stream up to `limit` bytes; calls `over` once when more arrives. */
async function capped(stream: ReadableStream<Uint8Array>, limit: number, over: () => void): Promise<{ text: string; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      truncated = true;
      over();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}

/**
 * Runs code in the sandbox ({@link sandboxArgv}) and waits for it, killing it at the wall-clock
 * limit, when its output passes the cap, or when `signal` aborts. Throws (and runs nothing) when the
 * sandbox cannot be built on this node.
 */
export async function runSandboxed(language: Language, code: string, options: { signal?: AbortSignal; limits?: SandboxLimits; stdin?: string; bwrapCandidates?: readonly string[]; devices?: readonly string[] } = {}): Promise<SandboxRun> {
  const limits = options.limits ?? DEFAULT_SANDBOX_LIMITS;
  const tools = sandboxTools(options.bwrapCandidates ?? ['/usr/bin/bwrap', '/bin/bwrap']);
  if (typeof tools === 'string') throw new Error(tools);
  const interpreter = interpreterFor(language);
  if (typeof interpreter === 'string') throw new Error(interpreter);
  const codeDir = mkdtempSync(join(tmpdir(), 'aok-code-'));
  chmodSync(codeDir, 0o755);
  const file = language === 'python' ? 'main.py' : language === 'typescript' ? 'main.ts' : 'main.mjs';
  writeFileSync(join(codeDir, file), code, { mode: 0o644 });
  // All the run's processes together: one memory and task budget (a cgroup), where the node may make one.
  const group = createRunCgroup(++runs, limits.runMemoryBytes, limits.processes);
  try {
    const argv = sandboxArgv({ ...tools, codeDir, interpreter }, file, limits, options.devices ?? []);
    const proc = Bun.spawn(group ? [...joinCgroupPrefix(group), ...argv] : argv, { stdin: options.stdin === undefined ? 'ignore' : new TextEncoder().encode(options.stdin), stdout: 'pipe', stderr: 'pipe', env: {} });
    let killed: SandboxRun['killed'] = null;
    const kill = (why: NonNullable<SandboxRun['killed']>) => {
      killed ??= why;
      proc.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('wall_clock'), limits.wallMs);
    const onAbort = () => kill('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [out, err] = await Promise.all([capped(proc.stdout, limits.outputBytes, () => kill('output_limit')), capped(proc.stderr, limits.outputBytes, () => kill('output_limit'))]);
      const exitCode = await proc.exited;
      return { exitCode: killed ? null : exitCode, killed, stdout: out.text, stderr: err.text, truncated: out.truncated || err.truncated };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
    await group?.remove();
  }
}


/** What the model reads back: how it ended, then its output. */
export function formatRun(run: SandboxRun): string {
  const ended = run.killed ? `killed (${run.killed.replace('_', ' ')})` : `exit code ${run.exitCode}`;
  const parts = [`${ended}${run.truncated ? ', output truncated' : ''}`];
  if (run.stdout) parts.push(`stdout:\n${run.stdout}`);
  if (run.stderr) parts.push(`stderr:\n${run.stderr}`);
  return parts.join('\n');
}

/** `run_code`: runs a short program in a locked-down sandbox and returns its output. */
export const runCodeTool = defineTool({
  name: 'run_code',
  description: `Runs a short program (TypeScript or JavaScript on Bun, or Python) in a sandbox with no network, a read-only filesystem except a private /tmp, and limits of ${DEFAULT_SANDBOX_LIMITS.cpuSeconds} CPU seconds, ${DEFAULT_SANDBOX_LIMITS.wallMs / 1000} s wall clock, ${DEFAULT_SANDBOX_LIMITS.memoryBytes / 1024 / 1024} MiB of memory and ${DEFAULT_SANDBOX_LIMITS.outputBytes / 1024} KiB of output. Print what you need to see.`,
  args: z.object({ language: z.enum(LANGUAGES), code: z.string().min(1).max(100_000), stdin: z.string().max(100_000).optional() }),
  timeoutMs: DEFAULT_SANDBOX_LIMITS.wallMs + 15_000,
  run: async ({ language, code, stdin }, ctx) => formatRun(await runSandboxed(language, code, { signal: ctx.signal, stdin, devices: (await ctx.devices?.()) ?? [] })),
});
