import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KernelError } from '../../kernel/errors';

/** The pinned Temporal CLI; later tags carry a `replace` directive that blocks `go install`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** The cache folder the pinned CLI is built into: `$AOK_CACHE_DIR` or `~/.cache/agent-os-kernel`. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.AOK_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agent-os-kernel');
}

/** Progress lines while building; defaults to stderr. */
export type ProgressSink = (line: string) => void;

/**
 * Finds the `temporal` CLI: `$TEMPORAL_CLI_PATH`, then `PATH`, then the cache, else builds the pinned
 * version with `go install` into the cache. Throws a sentence saying what to do when none can be had.
 */
export async function resolveTemporalBinary(
  env: Record<string, string | undefined> = process.env,
  progress: ProgressSink = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    throw new KernelError('temporal_cli_missing', `TEMPORAL_CLI_PATH points at ${explicit}, which does not exist.`);
  }
  const onPath = Bun.which('temporal', { PATH: env.PATH ?? '' });
  if (onPath) return onPath;
  const binDir = join(cacheDir(env), 'bin');
  const cached = join(binDir, 'temporal');
  if (existsSync(cached)) return cached;

  const go = Bun.which('go', { PATH: env.PATH ?? '' });
  if (!go) {
    throw new KernelError(
      'temporal_cli_missing',
      'No `temporal` CLI on PATH and no Go toolchain to build it. Install the Temporal CLI ' +
        `(${MODULE}@${TEMPORAL_CLI_VERSION}) or Go, or set TEMPORAL_ADDRESS to an existing Temporal server.`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  progress(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${binDir} (once; a few minutes)…`);
  const build = Bun.spawn([go, 'install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...env, GOBIN: binDir },
    stdout: 'inherit',
    stderr: 'inherit',
  });
  const code = await build.exited;
  if (code !== 0 || !existsSync(cached)) {
    throw new KernelError(
      'temporal_cli_missing',
      `\`go install ${MODULE}@${TEMPORAL_CLI_VERSION}\` failed (exit ${code}); is the Go module proxy reachable?`,
    );
  }
  progress(`built ${cached}`);
  return cached;
}
