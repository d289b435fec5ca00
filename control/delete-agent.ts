import { eraseAgent, markHistoryDeleted, type Erasure } from '../db/agent-erase';
import type { ControlDeps } from './deps';
import { withTemporal } from './temporal';

/** What deleting an agent did: the erasure's counts, and whether its Temporal history went too. */
export interface Deletion extends Omit<Erasure, 'workflowId'> {
  /** Executions (runs) of its workflow deleted from Temporal; `pending` when Temporal could not be reached (retried by the retention schedule). */
  history: { deleted: number } | { pending: string };
}

/**
 * Deletes a finished agent for good: its content in Postgres (see {@link eraseAgent}), then every
 * run of its workflow in Temporal (history and payloads), so neither the API, retrieval nor the
 * Temporal UI and CLI can show what it said. A Temporal that cannot be reached leaves the history
 * pending; the retention schedule deletes it later.
 */
export async function deleteAgent(deps: Pick<ControlDeps, 'db' | 'client'> & { warn?: (message: string, fields: Record<string, unknown>) => void }, agentId: string, actor: string, reason: 'request' | 'retention' = 'request'): Promise<Deletion> {
  const { workflowId, ...erasure } = await eraseAgent(deps.db, agentId, actor, reason);
  try {
    const deleted = await deleteExecutions(deps, workflowId);
    await markHistoryDeleted(deps.db, [agentId]);
    return { ...erasure, history: { deleted } };
  } catch (err) {
    deps.warn?.('agent erased; its Temporal history is left for the retention schedule', { agentId, err: err instanceof Error ? err.message : String(err) });
    return { ...erasure, history: { pending: 'Temporal could not delete the history now; the retention schedule retries' } };
  }
}

/** Deletes every execution (run) of a workflow id from Temporal; returns how many. */
export async function deleteExecutions(deps: Pick<ControlDeps, 'client'>, workflowId: string): Promise<number> {
  const namespace = deps.client.options.namespace;
  const runs: string[] = [];
  await withTemporal(deps, 'list the agent’s runs', async () => {
    for await (const run of deps.client.workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` })) runs.push(run.runId);
  });
  let deleted = 0;
  for (const runId of runs) {
    try {
      await withTemporal(deps, 'delete a run', () => deps.client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } }));
      deleted++;
    } catch (err) {
      // Already gone (deleted by an earlier attempt, or by namespace retention): nothing left to delete.
      if (!/not ?found/i.test(err instanceof Error ? err.message : String(err))) throw err;
    }
  }
  return deleted;
}
