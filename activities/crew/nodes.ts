import { ApplicationFailure } from '@temporalio/activity';
import { prepareAgent, type PrepareDeps } from '../../control/spawn';
import type { Db } from '../../db/client';
import { addCrewSpend, ensureCrewOwner, getCrew, nodeAgentsSpend, nodeResults, specOf, upsertCrewNode, type CrewRow } from '../../db/crews';
import { emitEvent } from '../../db/events';
import type { PubSub } from '../../db/notify';
import { writePage } from '../../db/pages';
import { spawnAgentSchema } from '../../kernel/agent/spawn';
import type { AgentRunInput } from '../../kernel/agent/state';
import { MIN_COMPLETION_TOKENS, type Budget, type Spend } from '../../kernel/cost/budget';
import { holds, type Condition, type NodeOutcome } from '../../kernel/crew/condition';
import { renderInput } from '../../kernel/crew/render';
import type { AgentTemplate, CrewNode, CrewSpec } from '../../kernel/crew/spec';

/** What the crew activities need: the database, events, and what preparing an agent needs. */
export type CrewActivityDeps = PrepareDeps & { pubsub: PubSub };

/** An agent prepared for a crew node (or item), ready for the crew workflow to start as its child. */
export interface PreparedChild {
  agentId: string;
  run: AgentRunInput;
  name: string;
  summary: string;
  /** For a foreach item: its index. */
  index?: number;
}

/** Where a node is, for the activities that act on it. */
export interface NodeAddress {
  crewId: string;
  run: number;
  node: string;
}

const ZERO: Spend = { promptTokens: 0, completionTokens: 0, costUsd: 0 };

/** The crew and one of its nodes, or a non-retryable failure. */
export async function crewNode(db: Db, a: NodeAddress): Promise<{ crew: CrewRow; spec: CrewSpec; node: CrewNode }> {
  const crew = await getCrew(db, a.crewId);
  if (!crew) throw ApplicationFailure.nonRetryable(`crew ${a.crewId} is not in the database`, 'CrewNotFound');
  const spec = specOf(crew);
  const node = spec.nodes.find((n) => n.id === a.node);
  if (!node) throw ApplicationFailure.nonRetryable(`crew ${a.crewId} has no node ${a.node}`, 'CrewNodeNotFound');
  return { crew, spec, node };
}

/** The id of the agent that runs a node (or an item of it) in a run, at an attempt: deterministic, so a retried prepare finds it. */
export function crewAgentId(crewId: string, run: number, node: string, attempt: number, index?: number): string {
  const key = crewId.replace(/^crew\./, '');
  return `${key}-${node}-r${run}${index === undefined ? '' : `i${index}`}a${attempt}`;
}

/** The id prefix every item agent of a foreach node's run shares. */
export function crewItemAgentPrefix(a: NodeAddress): string {
  return `${a.crewId.replace(/^crew\./, '')}-${a.node}-r${a.run}i`;
}

/** Prepares the agent of a node or item from its template, its predecessors' results quoted in. */
export async function prepareCrewAgent(deps: CrewActivityDeps, a: NodeAddress & { attempt: number; budget: Budget; item?: { index: number; value: string } }, template: AgentTemplate): Promise<PreparedChild> {
  const { crew, spec, node } = await crewNode(deps.db, a);
  const results = await nodeResults(deps.db, a.crewId, a.run, node.dependsOn);
  const input = renderInput(template.input, { results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.result])), item: a.item?.value, index: a.item?.index }) || '(no input)';
  const own = template.constraints ?? {};
  // The agent's hard budget: its own constraints, within the crew's share (stored with its definition).
  const budget: Budget = {
    maxTotalTokens: minOf(own.maxTotalTokens ?? null, a.budget.maxTotalTokens),
    maxCostUsd: minOf(own.maxCostUsd ?? null, a.budget.maxCostUsd),
  };
  if ((budget.maxTotalTokens !== null && budget.maxTotalTokens < MIN_COMPLETION_TOKENS) || budget.maxCostUsd === 0) {
    throw ApplicationFailure.nonRetryable(`the crew's budget is spent: node ${a.node} would get ${budget.maxTotalTokens ?? budget.maxCostUsd}`, 'CrewBudgetExhausted');
  }
  const agentSpec = spawnAgentSchema.parse({
    name: `${crew.name} ${a.node}${a.item ? ` ${a.item.index}` : ''}`.slice(0, 80),
    role: template.role,
    goal: template.goal,
    backstory: template.backstory,
    input,
    model: template.model ?? spec.model,
    tenant: crew.tenant,
    priority: template.priority,
    tools: template.tools,
    constraints: { ...own, maxTotalTokens: budget.maxTotalTokens, maxCostUsd: budget.maxCostUsd },
    ...(spec.memory ? { crew: spec.memory } : {}),
  });
  const agentId = crewAgentId(a.crewId, a.run, a.node, a.attempt, a.item?.index);
  const prepared = await prepareAgent(deps, agentSpec, { actor: `crew:${a.crewId}`, agentId, crewId: a.crewId });
  return { agentId, run: prepared.run, name: prepared.label.name, summary: `${crew.name} › ${a.node}${a.item ? ` #${a.item.index}` : ''}: ${template.goal}`.slice(0, 200), ...(a.item ? { index: a.item.index } : {}) };
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Builds the node activities of the crew workflow. */
export function createCrewNodeActivities(deps: CrewActivityDeps) {
  const { db, pubsub } = deps;
  return {
    /** Prepares the agent of an agent node and marks the node running. */
    async startCrewAgent(a: NodeAddress & { attempt: number; budget: Budget }): Promise<PreparedChild> {
      const { node } = await crewNode(db, a);
      if (node.kind !== 'agent') throw ApplicationFailure.nonRetryable(`node ${a.node} is not an agent node`, 'CrewNodeKind');
      const child = await prepareCrewAgent(deps, a, node.agent);
      await upsertCrewNode(db, { crewId: a.crewId, run: a.run, nodeId: a.node, kind: node.kind, status: 'running', attempt: a.attempt, agentId: child.agentId, startedAt: new Date(), finishedAt: null, error: null });
      await emitEvent(db, pubsub, { agentId: a.crewId, step: a.run, kind: 'node.started', data: { node: a.node, attempt: a.attempt, agentId: child.agentId } });
      return child;
    },

    /** Evaluates a node's condition on its predecessors' statuses and results. */
    async evaluateCrewCondition(a: NodeAddress): Promise<boolean> {
      const { node } = await crewNode(db, a);
      if (node.when === undefined) return true;
      const rows = await nodeResults(db, a.crewId, a.run, node.dependsOn);
      const outcomes: Record<string, NodeOutcome> = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { status: (['completed', 'failed', 'skipped'].includes(v.status) ? v.status : 'failed') as NodeOutcome['status'], result: v.result }]));
      return holds(node.when as Condition, outcomes);
    },

    /**
     * Records where a node now stands — running (a gate or wait), waiting, completed, failed or
     * skipped — with its result page, and for an agent node takes its spend from the agents' rows.
     * Returns the spend it recorded (the crew workflow counts it against the budget).
     */
    async settleCrewNode(a: NodeAddress & { kind: string; status: string; attempt?: number; agentIds?: string[]; agentPrefix?: string; resultPageId?: string | null; resultText?: string; error?: string | null; via?: string | null }): Promise<Spend> {
      // A foreach's spend is every item agent's, however it ended (the prefix names them all).
      if (a.kind === 'foreach' && !a.agentPrefix && ['completed', 'failed'].includes(a.status)) a = { ...a, agentPrefix: crewItemAgentPrefix(a) };
      const crew = await getCrew(db, a.crewId);
      if (!crew) throw ApplicationFailure.nonRetryable(`crew ${a.crewId} is not in the database`, 'CrewNotFound');
      let resultPageId = a.resultPageId ?? null;
      if (a.resultText !== undefined) {
        await ensureCrewOwner(db, crew);
        resultPageId = (await writePage(db, { agentId: crew.id, step: a.run, purpose: `node:${a.node}:${a.attempt ?? 1}`, kind: 'document', role: 'user', body: a.resultText })).id;
      }
      const spend = a.agentIds?.length || a.agentPrefix ? await nodeAgentsSpend(db, a.crewId, { ids: a.agentIds, prefix: a.agentPrefix }) : ZERO;
      const finished = ['completed', 'failed', 'skipped'].includes(a.status);
      await upsertCrewNode(db, {
        crewId: a.crewId,
        run: a.run,
        nodeId: a.node,
        kind: a.kind,
        status: a.status,
        ...(a.attempt !== undefined ? { attempt: a.attempt } : {}),
        ...(resultPageId ? { resultPageId } : {}),
        ...(a.via !== undefined ? { via: a.via } : {}),
        ...(a.error !== undefined ? { error: a.error ? a.error.slice(0, 2_000) : null } : {}),
        ...(finished ? { finishedAt: new Date(), promptTokens: spend.promptTokens, completionTokens: spend.completionTokens, costUsd: spend.costUsd } : { startedAt: new Date() }),
      });
      if (finished && spend.promptTokens + spend.completionTokens > 0) await addCrewSpend(db, a.crewId, spend);
      await emitEvent(db, pubsub, { agentId: a.crewId, step: a.run, kind: `node.${a.status}`, data: { node: a.node, ...(a.error ? { error: a.error.slice(0, 500) } : {}), ...(a.via ? { via: a.via } : {}) } });
      return spend;
    },

  };
}
