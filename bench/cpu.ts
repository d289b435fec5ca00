import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds a process has used (user + system), from /proc; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of every process whose command name is `comm` (e.g. all of Postgres's backends). */
export function commandCpuSeconds(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) total += processCpuSeconds(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** Named CPU counters sampled together; `since()` gives the seconds each used since the last mark. */
export function cpuMeter(sources: Record<string, () => number>) {
  let last = sample();
  function sample(): Record<string, number> {
    return Object.fromEntries(Object.entries(sources).map(([name, read]) => [name, read()]));
  }
  return {
    /** Starts a new interval. */
    mark(): void {
      last = sample();
    },
    /** CPU seconds per source since the last mark (rounded to 10 ms), and a new mark. */
    since(): Record<string, number> {
      const now = sample();
      const out = Object.fromEntries(Object.keys(now).map((name) => [name, Math.round((now[name]! - last[name]!) * 100) / 100]));
      last = now;
      return out;
    },
  };
}

/** This process's CPU seconds (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
