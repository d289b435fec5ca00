import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { claimLease, releaseLeases } from '../db/leases';
import { agentsOnNode, nodeLoads } from '../db/nodes';
import { nodeTaskQueue, spreadAcross, type PlacementReason } from '../kernel/agent/placement';
import { migrateSignal } from '../workflows/agent-api';
import type { Logger } from './logger';

/** What moving agents off a node needs. */
export interface MoveOffDeps {
  db: Db;
  client: Client;
  logger: Logger;
}

/**
 * Asks every live agent pinned to `nodeId` to move at its next step boundary, spread over the other
 * live nodes (fewest agents first); an agent that needs a GPU is re-placed by its requirement.
 * Returns where each was sent (null: any node). Agents whose workflow is gone are skipped.
 */
export async function moveAgentsOff(deps: MoveOffDeps, nodeId: string, reason: PlacementReason): Promise<Array<{ agentId: string; to: string | null }>> {
  const pinned = await agentsOnNode(deps.db, nodeId);
  const targets = spreadAcross(pinned.map((a) => a.id), await nodeLoads(deps.db, [nodeId]));
  const moved: Array<{ agentId: string; to: string | null }> = [];
  for (const { id: agentId, workflowId, needsGpu } of pinned) {
    const to = needsGpu ? null : (targets.get(agentId) ?? null);
    try {
      await deps.client.workflow.getHandle(workflowId).signal(migrateSignal, { node: to, reason, avoid: [nodeId] });
      moved.push({ agentId, to });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      deps.logger.warn({ agentId }, 'agent pinned to the node has no running workflow; skipped');
    }
  }
  return moved;
}

/** What adopting a dead node needs. */
export interface AdoptionDeps extends MoveOffDeps {
  /** This node's id (it takes the adoption lease). */
  nodeId: string;
  /** The shared task queue (node queues derive from it). */
  taskQueue: string;
  /** Polls another queue with this node's workers; returns how to stop. */
  pollQueue: (taskQueue: string) => Promise<() => Promise<void>>;
  /** Give up waiting for the agents to leave after this long. */
  timeoutMs?: number;
}

/**
 * Adopts a dead node: one live node (whoever takes the `adopt:<node>` lease) polls the dead node's
 * queue — so its pinned agents' workflow tasks and retried steps run again — asks each agent to
 * move, and stops polling once none is left there. In-flight steps are retried (idempotently) after
 * their heartbeat times out, so no acknowledged step is lost or run twice.
 */
export async function adoptDeadNode(deps: AdoptionDeps, dead: string): Promise<void> {
  const timeoutMs = deps.timeoutMs ?? 10 * 60_000;
  const resource = `adopt:${dead}`;
  const log = deps.logger.child({ deadNode: dead, adopter: deps.nodeId });
  let stop: (() => Promise<void>) | undefined;
  let claimed = false;
  try {
    claimed = await claimLease(deps.db, resource, deps.nodeId, timeoutMs + 60_000, { dead });
    if (!claimed) return;
    const pinned = await agentsOnNode(deps.db, dead);
    if (pinned.length === 0) return;
    stop = await deps.pollQueue(nodeTaskQueue(deps.taskQueue, dead));
    const moved = await moveAgentsOff(deps, dead, 'node_dead');
    log.warn({ agents: moved }, 'adopted a dead node; moving its agents');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (await agentsOnNode(deps.db, dead)).length > 0) await Bun.sleep(500);
    // The last placement is written just before its continue-as-new: let that workflow task finish.
    await Bun.sleep(2_000);
    const left = await agentsOnNode(deps.db, dead);
    if (left.length > 0) log.error({ left }, 'agents still pinned to the dead node after the adoption timeout');
    else log.info('every agent left the dead node');
  } catch (err) {
    log.error({ err }, 'adopting the dead node failed');
  } finally {
    await stop?.().catch((err: unknown) => log.warn({ err }, 'stopping the adopted queue failed'));
    if (claimed) await releaseLeases(deps.db, deps.nodeId, [resource]).catch((err: unknown) => log.warn({ err }, 'releasing the adoption lease failed'));
  }
}
