import { Context } from '@temporalio/activity';
import { isDatabaseUnreachable } from '../db/unreachable';

/** How long to wait before trying again while the database is away. */
const PAUSE_MS = 1_000;

/**
 * Runs an idempotent activity body, and while the database is unreachable runs it again every second
 * (heartbeating, so Temporal knows the attempt is alive; a cancellation ends the wait) instead of
 * failing the attempt: an outage does not spend the activity's retry budget or grow its backoff, and
 * the work resumes a second after the database is back. Other errors are thrown as they are.
 */
export async function untilDatabaseAnswers<T>(body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await body();
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      const ctx = Context.current();
      // A local activity cannot heartbeat (its workflow task is kept alive by the worker instead).
      if (!ctx.info.isLocal) ctx.heartbeat({ waitingForDatabase: true });
      await ctx.sleep(PAUSE_MS);
    }
  }
}

/** An activity that waits out a database outage inside its attempt (see {@link untilDatabaseAnswers}). */
export function waitingForDatabase<A extends unknown[], T>(activity: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return (...args: A) => untilDatabaseAnswers(() => activity(...args));
}
