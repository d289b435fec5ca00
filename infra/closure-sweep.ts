import { and, asc, eq, inArray, lt, notInArray } from 'drizzle-orm';
import { claimLease } from '../db/leases';
import { agents } from '../db/schema';
import type { ControlDeps } from '../control/deps';
import { reconcileQuietly } from '../control/reconcile';
import { LIVE_STATUSES, TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import { AGENT_STATE } from '../kernel/search-attributes';
import { rootMessage } from '../kernel/errors';

/** How many agents one pass reconciles (the rest wait for the next pass). */
const PASS_LIMIT = 200;
/** How many listed runs one pass reads at most. */
const SCAN_LIMIT = 50_000;
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
    // Closed-but-live runs stay listed (a closed run's search attributes cannot change), so the pass
    // reads the whole window and asks Postgres which of them are still live.
    const live = new Map<string, typeof agents.$inferSelect>();
    let batch: string[] = [];
    let seen = 0;
    const flush = async () => {
      if (batch.length > 0) for (const row of await deps.db.select().from(agents).where(and(inArray(agents.workflowId, batch), notInArray(agents.status, [...TERMINAL_STATUSES])))) live.set(row.id, row);
      batch = [];
    };
    for await (const wf of deps.client.workflow.list({ query: closedButLiveQuery(since) })) {
      batch.push(wf.workflowId);
      if (batch.length >= 500) await flush();
      if (++seen >= SCAN_LIMIT) break;
    }
    await flush();
    const rows = [...live.values()].slice(0, PASS_LIMIT);
    const full = live.size > PASS_LIMIT || seen >= SCAN_LIMIT;
    const ghosts = await deps.db.select().from(agents).where(and(eq(agents.status, 'ready'), lt(agents.createdAt, new Date(Date.now() - GHOST_AFTER_MS)))).orderBy(asc(agents.createdAt)).limit(100);
    for (const row of [...rows, ...ghosts]) await reconcileQuietly(deps, row);
    // A pass that hit its limit looks at the same window again next time (the backlog is not skipped).
    if (!full) since = new Date(startedAt - OVERLAP_MS);
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
