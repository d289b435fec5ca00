import { randomUUID } from 'node:crypto';
import { appendAudit } from '../db/audit';
import { effectiveStatus, getNode, markDraining, markUndrained, NODES_CHANNEL } from '../db/nodes';
import type { MigrationRequest } from '../kernel/agent/placement';
import type { AgentRunInput } from '../kernel/agent/state';
import { KernelError, rootMessage } from '../kernel/errors';
import { moveAgentsOff } from '../infra/node-adoption';
import { migrateSignal } from '../workflows/agent-api';
import { isTerminal } from '../kernel/agent/lifecycle';
import type { ControlDeps } from './deps';
import { agentRow } from './views';
import { withTemporal } from './temporal';


/** Where an agent may run, as asked at spawn (or inherited by a fork). */
export interface PlacementSpec {
  node?: string;
  gpuMemoryMiB?: number;
  gpus?: number;
  migProfile?: string;
}

async function liveNode(deps: Pick<ControlDeps, 'db'>, id: string) {
  const node = await getNode(deps.db, id);
  if (!node) throw new KernelError('not_found', `no node with id "${id}"`);
  const status = effectiveStatus(node);
  if (status !== 'alive') throw new KernelError('conflict', `node ${id} is ${status}; it takes no new agents`);
  return node;
}

/** The run-input fields for a placement asked at spawn: the agent places itself before its first step. */
export async function placementOverrides(deps: Pick<ControlDeps, 'db'>, spec: PlacementSpec | undefined): Promise<Pick<AgentRunInput, 'gpu' | 'pendingPlacement'>> {
  if (!spec || (!spec.node && !spec.gpuMemoryMiB)) return { gpu: null, pendingPlacement: null };
  if (spec.node) await liveNode(deps, spec.node);
  const gpu = spec.gpuMemoryMiB ? { memoryMiB: spec.gpuMemoryMiB, ...(spec.gpus && spec.gpus > 1 ? { gpus: spec.gpus } : {}), ...(spec.migProfile ? { migProfile: spec.migProfile } : {}) } : null;
  return { gpu, pendingPlacement: { node: spec.node ?? null, reason: 'spawn' } };
}

/** Asks a running agent to move to `node` at its next step boundary; audited. */
export async function migrateAgent(deps: ControlDeps, id: string, node: string, actor: string): Promise<{ agentId: string; from: string | null; to: string }> {
  const row = await agentRow(deps, id);
  if (isTerminal(row.status)) throw new KernelError('conflict', `agent ${id} is ${row.status}; only a running agent can move`);
  await liveNode(deps, node);
  const request: MigrationRequest = { node, reason: 'migrate' };
  try {
    await withTemporal(deps, 'move the agent', () => deps.client.workflow.getHandle(row.workflowId).signal(migrateSignal, request));
  } catch (err) {
    if (err instanceof KernelError) throw err;
    throw new KernelError('conflict', `agent ${id} cannot be moved: ${rootMessage(err)}`, { cause: err });
  }
  await appendAudit(deps.db, { actor, action: 'agent.migrate', subject: id, data: { from: row.node, to: node }, idempotencyKey: `agent.migrate:${id}:${randomUUID()}` });
  return { agentId: id, from: row.node, to: node };
}

/** Drains a node: it takes no new work (it stops polling shared queues) and its agents move to other nodes. */
export async function drainNode(deps: ControlDeps, id: string, actor: string): Promise<{ node: string; status: 'draining'; moving: Array<{ agentId: string; to: string | null }> }> {
  const node = await getNode(deps.db, id);
  if (!node) throw new KernelError('not_found', `no node with id "${id}"`);
  if (!(await markDraining(deps.db, id))) throw new KernelError('conflict', `node ${id} is ${node.status}; only a live node can be drained`);
  // The node stops polling shared queues as soon as it hears this (its next heartbeat otherwise, up to a third of its lease later).
  await tellNode(deps, id);
  const moving = await moveAgentsOff(deps, id, 'drain');
  await appendAudit(deps.db, { actor, action: 'node.drain', subject: id, data: { moving }, idempotencyKey: `node.drain:${id}:${randomUUID()}` });
  return { node: id, status: 'draining', moving };
}

/** Returns a draining node to service: it polls the shared queues again and placement may choose it. Audited. */
export async function undrainNode(deps: ControlDeps, id: string, actor: string): Promise<{ node: string; status: 'alive' }> {
  const node = await getNode(deps.db, id);
  if (!node) throw new KernelError('not_found', `no node with id "${id}"`);
  if (!(await markUndrained(deps.db, id))) throw new KernelError('conflict', `node ${id} is ${effectiveStatus(node)}; only a draining node with a live lease can be undrained`);
  await tellNode(deps, id);
  await appendAudit(deps.db, { actor, action: 'node.undrain', subject: id, data: {}, idempotencyKey: `node.undrain:${id}:${randomUUID()}` });
  return { node: id, status: 'alive' };
}

/** Tells a node its status changed (best effort: its heartbeat reads the status anyway). */
async function tellNode(deps: ControlDeps, id: string): Promise<void> {
  try {
    await deps.pubsub.notify(NODES_CHANNEL, id);
  } catch (err) {
    deps.logger.warn({ nodeId: id, reason: rootMessage(err) }, 'could not notify the node; it sees its status at its next heartbeat');
  }
}
