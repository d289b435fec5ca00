import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '../kernel/errors';

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Claims an embedded database directory for this process. PGlite is single-process: a second
 * process opening the same files would corrupt them, so it is refused with a sentence instead.
 */
export function acquireDirLock(dir: string): () => void {
  const file = join(dir, '.aok-owner.pid');
  let holder: number | undefined;
  try {
    holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    holder = undefined;
  }
  if (holder !== undefined && holder !== process.pid && Number.isFinite(holder) && isAlive(holder)) {
    throw new KernelError(
      'conflict',
      `The embedded database ${dir} is open in process ${holder} (is \`bun run dev\` running?). ` +
        'PGlite serves one process; set DATABASE_URL to share a Postgres database between processes.',
    );
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
