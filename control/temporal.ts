import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { KernelError } from '../kernel/errors';
import type { ControlDeps } from './deps';

/** How long one call to Temporal may take before the request gives up with a 503. */
export const TEMPORAL_DEADLINE_MS = 5_000;
/** Seconds a caller is told to wait when Temporal is unreachable. */
export const TEMPORAL_RETRY_AFTER_S = 5;

/** gRPC status codes DEADLINE_EXCEEDED (4) and UNAVAILABLE (14). */
const UNREACHABLE = new Set<number>([4, 14]);

/** True when an error (or one of its causes) says Temporal could not be reached or did not answer in time. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNREACHABLE.has(code)) return true;
    if (/\b(UNAVAILABLE|DEADLINE_EXCEEDED)\b|Deadline exceeded/.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs calls to Temporal under one deadline: an unreachable server (or a workflow no worker
 * answers for) becomes a `KernelError('unavailable')` — a 503 with Retry-After — within seconds,
 * instead of the client's retries holding the request for ~20 s and ending in a 500.
 */
export async function withTemporal<T>(deps: Pick<ControlDeps, 'client'>, what: string, fn: () => Promise<T>, deadlineMs = TEMPORAL_DEADLINE_MS): Promise<T> {
  try {
    return await deps.client.connection.withDeadline(Date.now() + deadlineMs, fn);
  } catch (err) {
    if (isTemporalUnreachable(err)) {
      throw new KernelError('unavailable', `Temporal did not answer within ${Math.round(deadlineMs / 1000)} s, so the kernel cannot ${what} now; retry shortly`, { cause: err, retryAfterS: TEMPORAL_RETRY_AFTER_S });
    }
    throw err;
  }
}

/** True when a start failed only because a run under that id is already going (a retried start). */
export function alreadyStarted(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return true;
  }
  return false;
}
