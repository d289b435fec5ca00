/** How long after the last sign of an unreachable database requests get the short deadline. */
const WINDOW_MS = 10_000;
let lastUnreachable = 0;

/** Notes that the database could not be reached just now (a request's error said so). */
export function noteDatabaseUnreachable(now = Date.now()): void {
  lastUnreachable = now;
}

/** True while the database was unreachable within the last few seconds: requests should not wait long for it. */
export function databaseRecentlyUnreachable(now = Date.now()): boolean {
  return now - lastUnreachable < WINDOW_MS;
}
