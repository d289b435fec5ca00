import { hostname } from 'node:os';
import type { Db } from '../db/client';
import { deregisterNode, heartbeat, NODES_CHANNEL, reapDeadNodes, registerNode } from '../db/nodes';
import type { PubSub } from '../db/notify';
import { GpuWatch } from './gpu-watch';
import type { Logger } from './logger';

/** A node's identity and how it keeps its lease. */
export interface PresenceOptions {
  nodeId: string;
  /** The node's own task queue (work pinned to this node). */
  taskQueue: string;
  leaseMs: number;
  smiCommand: string;
  /** `nvidia-smi topo -m` (a tie-breaker for multi-GPU placement); unset: not read. */
  topoCommand?: string;
  /** How often the GPUs are read again (at the heartbeat that follows). */
  gpuIntervalMs: number;
  capabilities?: Record<string, unknown>;
  /** Called when an operator drains this node. */
  onDraining?: () => void;
  /** Called when an operator returns this draining node to service. */
  onUndrained?: () => void;
  /** Called with the nodes this one just declared dead (to adopt their agents). */
  onDead?: (nodeIds: string[]) => void;
  /** What changes while the node runs (its provider circuits, the live config version it applied), merged into its capabilities with every heartbeat. */
  live?: () => Record<string, unknown>;
  /** Where an operator's drain or undrain is heard at once (else at the next heartbeat). */
  pubsub?: PubSub;
}

/**
 * Registers this process as a node (with its GPUs), renews its lease every third of the lease, reads
 * its GPUs again every `gpuIntervalMs` (see {@link GpuWatch}), and reaps nodes whose leases lapsed. Returns a stop function that deregisters cleanly.
 */
export async function startPresence(db: Db, options: PresenceOptions, logger: Logger): Promise<() => Promise<void>> {
  const gpus = new GpuWatch(db, { nodeId: options.nodeId, smiCommand: options.smiCommand, topoCommand: options.topoCommand }, logger);
  const first = await gpus.first();
  if (first.status.state === 'ok') logger.info({ gpus: first.inventory.gpus.map((g) => `${g.index}:${g.name}`) }, 'GPUs detected');
  else logger.info({ reason: first.status.error }, first.status.state === 'degraded' ? 'the GPUs could not be read' : 'no GPUs on this node');
  const announcement = () => {
    const { inventory, status } = gpus.current();
    return {
      id: options.nodeId,
      hostname: hostname(),
      taskQueue: options.taskQueue,
      capabilities: { gpu: inventory.gpus.length > 0, gpuCount: inventory.gpus.length, gpuStatus: status, pid: process.pid, ...options.capabilities },
      gpus: inventory,
    };
  };
  await registerNode(db, announcement(), options.leaseMs);
  let lastGpuRead = Date.now();
  let draining = false;
  /** Renews the lease and acts on the status an operator set (drain, undrain) and on dead nodes. */
  const check = async () => {
    try {
      const status = await heartbeat(db, options.nodeId, options.leaseMs, new Date(), options.live?.());
      if (status === null) {
        logger.warn({ nodeId: options.nodeId }, 'this node was declared dead; registering again');
        await registerNode(db, announcement(), options.leaseMs);
      } else if (status === 'draining' && !draining) {
        draining = true;
        logger.info({ nodeId: options.nodeId }, 'this node is draining: it stops taking shared work');
        options.onDraining?.();
      } else if (status === 'alive' && draining) {
        draining = false;
        logger.info({ nodeId: options.nodeId }, 'this node is back in service: it takes shared work again');
        options.onUndrained?.();
      }
      if (Date.now() - lastGpuRead >= options.gpuIntervalMs) {
        lastGpuRead = Date.now();
        await gpus.refresh();
      }
      const dead = await reapDeadNodes(db);
      if (dead.length > 0) {
        logger.warn({ dead }, 'nodes whose lease lapsed are marked dead');
        options.onDead?.(dead);
      }
    } catch (err) {
      logger.warn({ err }, 'heartbeat failed');
    }
  };
  const timer = setInterval(() => void check(), Math.max(100, Math.floor(options.leaseMs / 3)));
  // A drain takes effect when the operator asks, not up to a third of the lease later.
  const unlisten = options.pubsub ? await options.pubsub.listen(NODES_CHANNEL, (nodeId) => {
    if (nodeId === options.nodeId) void check();
  }) : undefined;
  return async () => {
    clearInterval(timer);
    await unlisten?.().catch(() => undefined);
    await deregisterNode(db, options.nodeId);
  };
}
