import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '../../kernel/errors';
import { cacheDir, type ProgressSink } from './binary';

/** The pinned Temporal server release: the same server the pinned CLI's dev server embeds. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Go module the server and its SQL tool are built from. */
export const SERVER_MODULE = 'go.temporal.io/server';
/** `go install` names a binary after the last element of its package path. */
const PACKAGES = { server: `${SERVER_MODULE}/cmd/server`, sqlTool: `${SERVER_MODULE}/cmd/tools/sql` } as const;
const BINARY_NAMES = { server: 'server', sqlTool: 'sql' } as const;

const stderrProgress: ProgressSink = (l) => process.stderr.write(`${l}\n`);

/** The binaries a production server needs. */
export interface ServerBinaries {
  /** `temporal-server`, built from `cmd/server`. */
  server: string;
  /** `temporal-sql-tool`, built from `cmd/tools/sql` (named `sql` by `go install`). */
  sqlTool: string;
}

/** The cache folder the server binaries are built into: `<cacheDir>/temporal-server/bin`. */
export function serverBinDir(env: Record<string, string | undefined> = process.env): string {
  return join(cacheDir(env), 'temporal-server', 'bin');
}

/**
 * Finds the server and SQL tool in the cache folder, building the missing ones once with
 * `go install …@v1.29.1` (the server takes a few minutes). Throws a sentence when Go is missing.
 */
export async function resolveServerBinaries(
  env: Record<string, string | undefined> = process.env,
  progress: ProgressSink = stderrProgress,
): Promise<ServerBinaries> {
  const binDir = serverBinDir(env);
  const found = { server: join(binDir, BINARY_NAMES.server), sqlTool: join(binDir, BINARY_NAMES.sqlTool) };
  for (const which of ['server', 'sqlTool'] as const) {
    if (existsSync(found[which])) continue;
    const go = Bun.which('go', { PATH: env.PATH ?? '' });
    const target = `${PACKAGES[which]}@${TEMPORAL_SERVER_VERSION}`;
    if (!go) {
      throw new KernelError('temporal_cli_missing', `No Go toolchain to build ${target}; install Go, or put the binary at ${found[which]}.`);
    }
    mkdirSync(binDir, { recursive: true });
    progress(`building ${target} with go install into ${binDir} (once; a few minutes)…`);
    const build = Bun.spawn([go, 'install', target], { env: { ...env, GOBIN: binDir }, stdout: 'inherit', stderr: 'inherit' });
    const code = await build.exited;
    if (code !== 0 || !existsSync(found[which])) {
      throw new KernelError('temporal_cli_missing', `\`go install ${target}\` failed (exit ${code}); is the Go module proxy reachable?`);
    }
    progress(`built ${found[which]}`);
  }
  return found;
}

