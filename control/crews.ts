import { and, eq, inArray, sql } from 'drizzle-orm';
import { appendAudit, appendAuditIn } from '../db/audit';
import { crewRunNodes, getCrew, specOf, type CrewNodeRow, type CrewRow } from '../db/crews';
import { crewNodes, crews } from '../db/schema';
import { slugify } from '../kernel/agent/spawn';
import type { Spend } from '../kernel/cost/budget';
import { planCrew, type CrewPlan } from '../kernel/crew/plan';
import type { NodeStatus } from '../kernel/crew/schedule';
import type { CrewSpec } from '../kernel/crew/spec';
import { unknownKernelTools } from './tool-names';
import { KernelError } from '../kernel/errors';
import { CREW_ID } from '../kernel/search-attributes';
import type { crewWorkflow } from '../workflows/crew';
import type { CrewRunInput } from '../workflows/crew-api';
import type { ControlDeps } from './deps';
import { alreadyStarted, withTemporal } from './temporal';
import { startError } from './spawn';

/** How a crew came to be: posted, posted as a batch, or forked from another crew's node. */
export interface CrewOrigin {
  kind?: 'crew' | 'batch';
  forkOf?: { crewId: string; run: number; node: string };
  actor?: string;
  /** The agent starting the crew with `spawn_crew` (it lent the budget and is told the spend). */
  parentAgentId?: string;
}

/** A new crew id: `crew.<slug>-<10 random base-36 characters>` (dots never appear in agent ids). */
export function newCrewId(name: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 10; i++) suffix += Math.floor(random() * 36).toString(36);
  return `crew.${slugify(name).slice(0, 30)}-${suffix}`;
}

/** Checks a crew's graph and tools; a problem is a 400 that names the offending nodes. */
export function checkCrew(deps: Pick<ControlDeps, 'tools'>, spec: CrewSpec): CrewPlan {
  const planned = planCrew(spec);
  if (!planned.ok) {
    const first = planned.issues[0]!;
    throw new KernelError('invalid_input', `invalid crew: ${first.message}`, { details: planned.issues.map((i) => ({ path: i.path, message: i.message, nodes: i.nodes })) });
  }
  for (const n of spec.nodes) {
    const template = n.kind === 'agent' ? n.agent : n.kind === 'foreach' ? n.foreach.agent : null;
    const unknown = unknownKernelTools(deps.tools, template?.tools ?? []);
    if (unknown.length > 0) throw new KernelError('invalid_input', `invalid crew: node "${n.id}" asks for unknown tools ${unknown.join(', ')} (available: ${deps.tools.names().join(', ')})`, { details: [{ path: ['nodes', spec.nodes.indexOf(n), 'agent', 'tools'], message: 'unknown tools', nodes: [n.id] }] });
  }
  return planned.plan;
}

/**
 * Creates a crew and starts its workflow: checks the graph, stores the crew and a pending row per
 * node, audits it, and starts `crewWorkflow` (searchable by `CrewId`). A start that fails marks the
 * crew failed; Temporal unreachable is a 503.
 */
export async function createCrew(deps: ControlDeps, spec: CrewSpec, origin: CrewOrigin = {}, reuse?: ReusedNodes): Promise<string> {
  const input = await prepareCrew(deps, spec, newCrewId(spec.name), origin, reuse);
  await startCrewRun(deps, input, spec);
  return input.crewId;
}

/**
 * Stores a crew (the spec, a pending row per node, reused results, the audit entry) in one transaction
 * and returns the input its workflow starts with — by the client, or as a child of a scheduled run.
 * Idempotent for an id that already exists (a retried activity).
 */
export async function prepareCrew(deps: Pick<ControlDeps, 'db' | 'tools'>, spec: CrewSpec, id: string, origin: CrewOrigin = {}, reuse?: ReusedNodes): Promise<CrewRunInput> {
  const plan = checkCrew(deps, spec);
  const input: CrewRunInput = { crewId: id, run: 1, tenant: spec.tenant, plan, budget: spec.budget, ...(reuse ? { reused: reuse.statuses, reusedSpend: reuse.spend } : {}), ...(origin.parentAgentId ? { parentAgentId: origin.parentAgentId } : {}) };
  if (await getCrew(deps.db, id)) return input;
  await deps.db.transaction(async (tx) => {
    await tx.insert(crews).values({ id, name: spec.name, tenant: spec.tenant, spec, kind: origin.kind ?? 'crew', forkOf: origin.forkOf ?? null, parentAgentId: origin.parentAgentId ?? null, status: 'running' });
    await tx.insert(crewNodes).values(spec.nodes.map((n) => ({ crewId: id, run: 1, nodeId: n.id, kind: n.kind, status: 'pending' })));
    if (reuse) await copyReused(tx, reuse, id, 1);
    await appendAuditIn(tx, { actor: origin.actor ?? 'api', action: origin.forkOf ? 'crew.forked' : 'crew.created', subject: id, data: { name: spec.name, tenant: spec.tenant, nodes: spec.nodes.length, kind: origin.kind ?? 'crew', forkOf: origin.forkOf ?? null, parentAgentId: origin.parentAgentId ?? null }, idempotencyKey: `crew.create:${id}` });
  });
  return input;
}

/**
 * Starts (or restarts, for a retry) a crew's workflow under the crew's id. A run of it that is
 * already going (a retried start) counts as started.
 */
export async function startCrewRun(deps: Pick<ControlDeps, 'client' | 'db' | 'taskQueue'>, input: CrewRunInput, spec: CrewSpec): Promise<void> {
  try {
    await withTemporal(deps, 'start the crew', () =>
      deps.client.workflow.start<typeof crewWorkflow>('crewWorkflow', {
        workflowId: input.crewId,
        taskQueue: deps.taskQueue,
        args: [input],
        staticSummary: `${spec.name}: ${spec.nodes.length} nodes (run ${input.run})`.slice(0, 200),
        memo: { name: spec.name, tenant: spec.tenant, run: input.run },
        typedSearchAttributes: [{ key: CREW_ID, value: input.crewId }],
      }),
    );
  } catch (err) {
    if (alreadyStarted(err)) return;
    await deps.db.update(crews).set({ status: 'failed', error: 'its workflow could not be started', finishedAt: new Date() }).where(eq(crews.id, input.crewId));
    throw startError(err);
  }
}

/** Nodes an earlier run settled that a new run (a retry, a fork) takes over instead of running again. */
export interface ReusedNodes {
  from: { crewId: string; run: number };
  statuses: Record<string, NodeStatus>;
  spend: Spend;
  rows: CrewNodeRow[];
}

/** Copies reused nodes' rows (results, spend, agents) into a new run, marked with where they came from. */
async function copyReused(tx: ControlDeps['db'], reuse: ReusedNodes, crewId: string, run: number): Promise<void> {
  for (const r of reuse.rows) {
    await tx
      .insert(crewNodes)
      .values({ ...r, crewId, run, via: `${reuse.from.crewId === crewId ? '' : reuse.from.crewId}#${reuse.from.run}` })
      .onConflictDoUpdate({ target: [crewNodes.crewId, crewNodes.run, crewNodes.nodeId], set: { status: r.status, attempt: r.attempt, agentId: r.agentId, resultPageId: r.resultPageId, items: r.items, itemsCompleted: r.itemsCompleted, itemsFailed: r.itemsFailed, promptTokens: r.promptTokens, completionTokens: r.completionTokens, costUsd: r.costUsd, startedAt: r.startedAt, finishedAt: r.finishedAt, via: `${reuse.from.crewId === crewId ? '' : reuse.from.crewId}#${reuse.from.run}` } });
  }
}

/** The node and everything that depends on it, directly or not (fallbacks of those included). */
export function downstreamOf(spec: CrewSpec, node: string): Set<string> {
  const out = new Set([node]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const n of spec.nodes) {
      const fallbackOfOut = spec.nodes.some((m) => out.has(m.id) && typeof m.onFailure === 'object' && 'fallback' in m.onFailure && m.onFailure.fallback === n.id);
      if (!out.has(n.id) && (n.dependsOn.some((d) => out.has(d)) || fallbackOfOut)) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return out;
}

/** What a run settled before `node`: every node not downstream of it that ended, to be reused. */
async function reusableBefore(deps: ControlDeps, crew: CrewRow, node: string): Promise<ReusedNodes> {
  const spec = specOf(crew);
  if (!spec.nodes.some((n) => n.id === node)) throw new KernelError('not_found', `crew ${crew.id} has no node "${node}"`);
  const again = downstreamOf(spec, node);
  const rows = (await crewRunNodes(deps.db, crew.id, crew.run)).filter((r) => !again.has(r.nodeId) && (r.status === 'completed' || r.status === 'skipped' || (r.status === 'failed' && spec.nodes.find((n) => n.id === r.nodeId)?.onFailure === 'continue')));
  const spend = rows.reduce<Spend>((acc, r) => ({ promptTokens: acc.promptTokens + r.promptTokens, completionTokens: acc.completionTokens + r.completionTokens, costUsd: acc.costUsd + r.costUsd }), { promptTokens: 0, completionTokens: 0, costUsd: 0 });
  return { from: { crewId: crew.id, run: crew.run }, statuses: Object.fromEntries(rows.map((r) => [r.nodeId, r.status as NodeStatus])), spend, rows };
}

/** A finished crew, or a 409 saying it is still running. */
async function finishedCrew(deps: ControlDeps, id: string, what: string): Promise<CrewRow> {
  const crew = await getCrew(deps.db, id);
  if (!crew) throw new KernelError('not_found', `no crew with id "${id}"`);
  if (crew.status === 'running' || crew.status === 'ready') throw new KernelError('conflict', `crew ${id} is still running; cancel it before you ${what}`);
  if (crew.parentAgentId) throw new KernelError('conflict', `crew ${id} was started by agent ${crew.parentAgentId}, which paid for it and took its answer; ask that agent (or start a new crew) instead`);
  return crew;
}

/**
 * Retries a node of a finished crew: a new run of the same crew re-runs the node and everything
 * downstream of it, and reuses every result that came before (never re-running it).
 */
export async function retryCrewNode(deps: ControlDeps, id: string, node: string, actor = 'api'): Promise<{ crewId: string; run: number; rerun: string[] }> {
  const crew = await finishedCrew(deps, id, 'retry a node');
  const spec = specOf(crew);
  const reuse = await reusableBefore(deps, crew, node);
  const run = crew.run + 1;
  await deps.db.transaction(async (tx) => {
    const updated = await tx.update(crews).set({ run, status: 'running', error: null, finishedAt: null, updatedAt: new Date() }).where(and(eq(crews.id, id), eq(crews.run, crew.run))).returning({ id: crews.id });
    if (updated.length === 0) throw new KernelError('conflict', `crew ${id} was retried by someone else meanwhile`);
    await tx.insert(crewNodes).values(spec.nodes.map((n) => ({ crewId: id, run, nodeId: n.id, kind: n.kind, status: 'pending' })));
    await copyReused(tx, reuse, id, run);
    await appendAuditIn(tx, { actor, action: 'crew.retried', subject: id, data: { node, run, reused: Object.keys(reuse.statuses) }, idempotencyKey: `crew.retry:${id}:${run}` });
  });
  await startCrewRun(deps, { crewId: id, run, tenant: crew.tenant, plan: checkCrew(deps, spec), budget: spec.budget, reused: reuse.statuses, reusedSpend: reuse.spend }, spec);
  return { crewId: id, run, rerun: [...downstreamOf(spec, node)] };
}

/** Forks a finished crew from a node: a new crew reusing every result before the node, running the node and what follows. */
export async function forkCrew(deps: ControlDeps, id: string, node: string, name: string | undefined, actor = 'api'): Promise<string> {
  const crew = await finishedCrew(deps, id, 'fork it');
  const spec = { ...specOf(crew), name: name ?? `${crew.name} fork` };
  return createCrew(deps, spec, { kind: crew.kind === 'batch' ? 'batch' : 'crew', forkOf: { crewId: id, run: crew.run, node }, actor }, await reusableBefore(deps, crew, node));
}

/** Cancels a running crew: its running agents are cancelled with it, and what never ran is skipped. */
export async function cancelCrew(deps: ControlDeps, id: string, actor = 'api'): Promise<void> {
  const crew = await getCrew(deps.db, id);
  if (!crew) throw new KernelError('not_found', `no crew with id "${id}"`);
  if (crew.status !== 'running' && crew.status !== 'ready') throw new KernelError('conflict', `crew ${id} is ${crew.status}; only a running crew can be cancelled`);
  try {
    await withTemporal(deps, 'cancel the crew', () => deps.client.workflow.getHandle(id).cancel());
  } catch (err) {
    if (err instanceof KernelError) throw err;
    throw new KernelError('conflict', `crew ${id} cannot be cancelled: ${(err as Error).message}`, { cause: err });
  }
  await appendAudit(deps.db, { actor, action: 'crew.cancel', subject: id, data: { run: crew.run }, idempotencyKey: `crew.cancel:${id}:${crew.run}` });
}

/** Crews, newest first, optionally of one kind. */
export async function crewRows(deps: ControlDeps, limit: number, offset: number, kind?: 'crew' | 'batch', tenant: string | null = null): Promise<CrewRow[]> {
  return deps.db
    .select()
    .from(crews)
    .where(and(kind ? eq(crews.kind, kind) : undefined, tenant === null ? undefined : eq(crews.tenant, tenant)))
    .orderBy(sql`${crews.createdAt} desc`, sql`${crews.id} desc`)
    .limit(limit)
    .offset(offset);
}

/** The ids of a crew's agents that are live (for views). */
export async function crewAgentIds(deps: ControlDeps, crewId: string, run: number): Promise<string[]> {
  const rows = await deps.db.select({ agentId: crewNodes.agentId }).from(crewNodes).where(and(eq(crewNodes.crewId, crewId), eq(crewNodes.run, run), inArray(crewNodes.status, ['running', 'waiting'])));
  return rows.flatMap((r) => (r.agentId ? [r.agentId] : []));
}
