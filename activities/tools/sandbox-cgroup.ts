import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A control group one sandbox run lives in: its total memory and task count, whatever it forks. */
export interface RunCgroup {
  /** Which hierarchy holds it. */
  kind: 'v1' | 'v2';
  /** The files a process writes its pid to, to join (one per hierarchy). */
  procsFiles: string[];
  /** Kills whatever is left in the group, waits for the kernel to reap it, and removes the group. */
  remove(): Promise<void>;
}

const ROOT = '/sys/fs/cgroup';
const PREFIX = 'aok-sandbox-';

/** This process's own cgroup per hierarchy (`memory`, `pids`, or `''` for v2), from /proc/self/cgroup. */
function ownGroups(): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
      const [, controllers = '', path = '/'] = line.split(':');
      for (const c of controllers.split(',')) out.set(c, path);
    }
  } catch {
    // No /proc: no cgroups.
  }
  return out;
}

/** This process's PID namespace (groups are named with it, so a sweep never touches another namespace's runs). */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/** Writes a control file; false when the kernel refuses. */
function write(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** The pids still in a group. */
function members(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills a group's stragglers and removes it once empty (up to 3 s; the kernel frees it after the last task exits). */
async function removeGroup(dirs: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const left = dirs.filter((d) => existsSync(d));
    if (left.length === 0) return;
    for (const d of left) {
      for (const pid of members(d)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      try {
        rmdirSync(d);
      } catch {
        // Not empty yet: try again shortly.
      }
    }
    await Bun.sleep(100);
  }
}

let swept = false;
/** Removes groups an earlier process of this PID namespace left behind (it died mid-run), once per process. */
function sweepStale(parents: readonly string[], ns: string): void {
  if (swept) return;
  swept = true;
  for (const parent of parents) {
    for (const name of readdirSync(parent).filter((n) => n.startsWith(`${PREFIX}${ns}-`))) {
      const owner = Number(name.slice(`${PREFIX}${ns}-`.length).split('-')[0]);
      if (owner === process.pid || existsSync(`/proc/${owner}`)) continue;
      void removeGroup([join(parent, name)]);
    }
  }
}

/**
 * Creates a cgroup for one run, inside this worker's own cgroup (so the run stays within the worker's
 * limits), with `memoryBytes` for all its processes together and `tasks` tasks (processes and
 * threads), on cgroup v2 or the v1 memory and pids hierarchies; null where this process may not
 * create one (then only the per-process rlimits bound the run).
 */
export function createRunCgroup(run: number, memoryBytes: number, tasks: number): RunCgroup | null {
  const ns = pidNamespace();
  const name = `${PREFIX}${ns}-${process.pid}-${run}`;
  const own = ownGroups();
  try {
    const v2Parent = join(ROOT, own.get('') ?? '/');
    const v2Controllers = existsSync(join(v2Parent, 'cgroup.controllers')) ? readFileSync(join(v2Parent, 'cgroup.controllers'), 'utf8') : '';
    if (own.has('') && !own.has('memory') && /\bmemory\b/.test(v2Controllers) && /\bpids\b/.test(v2Controllers)) {
      sweepStale([v2Parent], ns);
      const dir = join(v2Parent, name);
      mkdirSync(dir);
      if (write(join(dir, 'memory.max'), String(memoryBytes)) && write(join(dir, 'pids.max'), String(tasks))) {
        write(join(dir, 'memory.swap.max'), '0');
        return { kind: 'v2', procsFiles: [join(dir, 'cgroup.procs')], remove: () => removeGroup([dir]) };
      }
      rmdirSync(dir);
      return null;
    }
    const memParent = join(ROOT, 'memory', own.get('memory') ?? '/');
    const pidsParent = join(ROOT, 'pids', own.get('pids') ?? '/');
    if (!own.has('memory') || !own.has('pids') || !existsSync(memParent) || !existsSync(pidsParent)) return null;
    sweepStale([memParent, pidsParent], ns);
    const mem = join(memParent, name);
    const pids = join(pidsParent, name);
    mkdirSync(mem);
    mkdirSync(pids);
    const remove = () => removeGroup([mem, pids]);
    if (!(write(join(mem, 'memory.limit_in_bytes'), String(memoryBytes)) && write(join(pids, 'pids.max'), String(tasks)))) {
      void remove();
      return null;
    }
    write(join(mem, 'memory.memsw.limit_in_bytes'), String(memoryBytes));
    return { kind: 'v1', procsFiles: [join(mem, 'cgroup.procs'), join(pids, 'cgroup.procs')], remove };
  } catch {
    return null;
  }
}

/** A command prefix that moves the process into the group and then runs the rest of the command line. */
export function joinCgroupPrefix(group: RunCgroup): string[] {
  const joins = group.procsFiles.map((f) => `echo $$ > '${f}'`).join(' && ');
  return ['/bin/sh', '-c', `${joins} && exec "$@"`, 'aok-sandbox'];
}
