import type { MiddlewareHandler } from 'hono';
import { TEMPORAL_DEADLINE_MS } from '../control/temporal';
import { databaseRecentlyUnreachable } from './db-outage';
import { sendProblem } from './problem';

/**
 * A request gets its answer within this long: room for a Temporal call to time out (5 s) and the
 * clean-up after it (a failed start is terminated and marked failed, up to 2 s more), so a slow
 * Temporal still answers its own, precise 503 (the server's idle timeout, 30 s, is above it).
 */
export const REQUEST_DEADLINE_MS = 2 * TEMPORAL_DEADLINE_MS;
/** The deadline while the database is known to be unreachable (it failed a request in the last seconds). */
export const OUTAGE_DEADLINE_MS = 1_500;

/**
 * No request stalls: one that has no answer within {@link REQUEST_DEADLINE_MS} (a database holding a
 * lock, a pool waiting for a connection) gets a 503 with `Retry-After` — within 1.5 s while the database
 * is known to be unreachable; event streams are exempt.
 * The work it started may still finish — a create retried with the same `Idempotency-Key` gets its
 * answer, not a second effect.
 */
export function requestDeadline(deadlineMs = REQUEST_DEADLINE_MS): MiddlewareHandler {
  return async (c, next) => {
    // While the database is known to be unreachable, no request waits long for it.
    const ms = databaseRecentlyUnreachable() ? OUTAGE_DEADLINE_MS : deadlineMs;
    if (c.req.method === 'GET' && /\/events$/.test(c.req.path)) return next();
    if (c.req.path === '/mcp') return next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    const work = next().then(() => 'done' as const);
    work.catch(() => undefined);
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    if (first === 'late') c.res = sendProblem(c, 503, 'unavailable', `no answer within ${ms / 1000} s (the database or Temporal is slow or unreachable); retry shortly — with the same Idempotency-Key for a create`, {}, 5);
  };
}
