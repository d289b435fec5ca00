import { and, inArray, lt, notInArray, eq } from 'drizzle-orm';
import { claimLease } from '../db/leases';
import { agents } from '../db/schema';
import type { ControlDeps } from '../control/deps';
import { reconcileQuietly } from '../control/reconcile';
import { LIVE_STATUSES, TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import { AGENT_STATE } from '../kernel/search-attributes';
import { rootMessage } from '../kernel/errors';

/** How many candidates one pass looks at (the rest wait for the next pass). */
const PASS_LIMIT = 1_000;
/** Visibility is eventually consistent: each pass looks this far behind where the last one started. */
const OVERLAP_MS = 60_000;
/** A row still `ready` after this long may never have started a workflow. */
const GHOST_AFTER_MS = 60_000;
const LEASE = 'sweep:closures';

/** The visibility query for runs that closed while their agent still said it was live. */
export function closedButLiveQuery(since: Date | null): string {
  const live = LIVE_STATUSES.map((s) => `'${s}'`).join(', ');
  const window = since ? ` AND CloseTime > '${since.toISOString()}'` : '';
  return `ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew' AND ${AGENT_STATE.name} IN (${live})${window}`;
}

/**
 * Reconciles agents whose runs were closed outside the kernel, with nobody reading them: every
 * interval, the node holding the sweep lease asks Temporal's visibility for runs that closed while
 * their `AgentState` still said live (terminated, cancelled or timed out from the UI or CLI), plus
 * rows left `ready` with no workflow, and reconciles each against its latest run. Returns a stop.
 */
export function startClosureSweep(deps: ControlDeps, options: { nodeId: string; intervalMs: number }): () => Promise<void> {
  let since: Date | null = null;
  let running: Promise<void> | undefined;
  const pass = async () => {
    if (!(await claimLease(deps.db, LEASE, options.nodeId, options.intervalMs * 3))) return;
    const startedAt = Date.now();
    const ids = new Set<string>();
    for await (const wf of deps.client.workflow.list({ query: closedButLiveQuery(since) })) {
      ids.add(wf.workflowId);
      if (ids.size >= PASS_LIMIT) break;
    }
    const rows = ids.size === 0 ? [] : await deps.db.select().from(agents).where(and(inArray(agents.workflowId, [...ids]), notInArray(agents.status, [...TERMINAL_STATUSES])));
    const ghosts = await deps.db.select().from(agents).where(and(eq(agents.status, 'ready'), lt(agents.createdAt, new Date(Date.now() - GHOST_AFTER_MS)))).limit(100);
    for (const row of [...rows, ...ghosts]) await reconcileQuietly(deps, row);
    since = new Date(startedAt - OVERLAP_MS);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch((err: unknown) => deps.logger.warn({ reason: rootMessage(err) }, 'closure sweep failed; trying again next interval'))
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
