import { ApplicationFailure } from '@temporalio/activity';
import { getAgentRecord, updateAgentRecord } from '../db/agents';
import type { Db } from '../db/client';
import { emitEvent } from '../db/events';
import { releaseLeases, renewLease, reserveGpu } from '../db/leases';
import { getNode } from '../db/nodes';
import type { PubSub } from '../db/notify';
import { nodeTaskQueue, type PlacementRequest, type PlacementResult } from '../kernel/agent/placement';
import { llmTaskQueue } from '../kernel/llm/task-queue';

/** What placement needs from its node. */
export interface PlacementDeps {
  db: Db;
  pubsub: PubSub;
  /** The shared task queue (unpinned agents run there; node queues derive from it). */
  taskQueue: string;
  /** How long a GPU reservation lives without renewal (every step renews it). */
  gpuLeaseMs: number;
}

/**
 * Builds the `placeAgent` activity: decides where an agent runs next — a GPU with enough free memory
 * (best fit, reserved with a lease), a named live node, or any node — records it on the agent row
 * and as an event, and returns the queues to continue on. Nothing fitting is an answer, not an error.
 */
export function createPlaceAgent(deps: PlacementDeps) {
  const { db } = deps;
  return async function placeAgent(req: PlacementRequest): Promise<PlacementResult> {
    const agent = await getAgentRecord(db, req.agentId);
    if (!agent) throw ApplicationFailure.nonRetryable(`agent ${req.agentId} is not in the database`, 'AgentNotFound');
    let node: string | null = null;
    let gpuLease = null;
    if (req.gpu) {
      const reserved = await reserveGpu(db, { agentId: req.agentId, need: req.gpu, leaseMs: deps.gpuLeaseMs, avoid: req.avoid, only: req.node });
      if (!reserved.ok) {
        if (req.heldLease) await releaseLeases(db, req.agentId);
        return { ok: false, reason: reserved.reason };
      }
      gpuLease = reserved.lease;
      node = reserved.lease.nodeId;
    } else if (req.node) {
      const target = await getNode(db, req.node);
      if (target?.status === 'alive' && !(req.avoid ?? []).includes(target.id)) node = target.id;
      else await emitEvent(db, deps.pubsub, { agentId: req.agentId, step: agent.step, kind: 'agent.placement', data: { warning: `node ${req.node} is ${target?.status ?? 'unknown'}; any node will run the agent` } });
    }
    const taskQueue = node ? nodeTaskQueue(deps.taskQueue, node) : deps.taskQueue;
    await updateAgentRecord(db, req.agentId, { node });
    await emitEvent(db, deps.pubsub, { agentId: req.agentId, step: agent.step, kind: 'agent.placed', data: { node, reason: req.reason, from: agent.node, gpu: gpuLease } });
    return { ok: true, node, taskQueue, llmTaskQueue: node ? taskQueue : llmTaskQueue(deps.taskQueue, req.model), gpuLease };
  };
}

/** Renews an agent's GPU reservation at the start of a step; a lost one fails the step so the agent is re-placed. */
export async function renewGpuLease(db: Db, agentId: string, resource: string, leaseMs: number): Promise<void> {
  if (await renewLease(db, resource, agentId, leaseMs)) return;
  throw ApplicationFailure.nonRetryable(`the GPU reservation ${resource} lapsed and was released; the agent is placed again`, 'GpuLeaseLost');
}
