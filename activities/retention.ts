import { getClient, heartbeat, log } from '@temporalio/activity';
import { deleteAgent, deleteExecutions } from '../control/delete-agent';
import { finishedBefore, historiesToDelete, markHistoryDeleted } from '../db/agent-erase';
import { pruneCheckpoints } from '../db/checkpoint-admin';
import type { Db } from '../db/client';
import { listRetention } from '../db/retention';

/** What one retention pass did, over every tenant with a policy. */
export interface RetentionRun {
  agentsDeleted: number;
  checkpointsDeleted: number;
  historiesDeleted: number;
}

const DAY_MS = 86_400_000;

/**
 * Builds the `applyRetention` activity: for every tenant's policy, erases finished agents past their
 * days (as DELETE /agents/:id) and deletes untagged checkpoints past theirs; then deletes the Temporal
 * histories an earlier deletion could not reach. Each deletion is its own transaction and safe to repeat.
 */
export function createRetention(db: Db) {
  return {
    applyRetention: async (now = Date.now()): Promise<RetentionRun> => {
      const client = getClient();
      const warn = (message: string, fields: Record<string, unknown>) => log.warn(message, fields);
      const run: RetentionRun = { agentsDeleted: 0, checkpointsDeleted: 0, historiesDeleted: 0 };
      for (const policy of await listRetention(db)) {
        if (policy.finishedAgentDays !== null) {
          for (const id of await finishedBefore(db, policy.tenant, new Date(now - policy.finishedAgentDays * DAY_MS))) {
            const done = await deleteAgent({ db, client, warn }, id, 'retention', 'retention');
            if (!done.alreadyErased) run.agentsDeleted++;
            if ('deleted' in done.history) run.historiesDeleted += done.history.deleted;
            heartbeat(run);
          }
        }
        if (policy.checkpointDays !== null) run.checkpointsDeleted += await pruneCheckpoints(db, policy.tenant, new Date(now - policy.checkpointDays * DAY_MS));
      }
      const pending = await historiesToDelete(db);
      const cleared: string[] = [];
      for (const agent of pending) {
        try {
          run.historiesDeleted += await deleteExecutions({ client }, agent.workflowId);
          cleared.push(agent.id);
        } catch (err) {
          warn('a deleted agent’s Temporal history could not be deleted yet', { agentId: agent.id, err: err instanceof Error ? err.message : String(err) });
        }
        heartbeat(run);
      }
      await markHistoryDeleted(db, cleared);
      return run;
    },
  };
}
