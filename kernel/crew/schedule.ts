import type { Budget, Spend } from '../cost/budget';
import type { CrewPlan, PlanNode } from './plan';

/** Where a node of a crew run stands. */
export type NodeStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'skipped';

/** A node's run within the crew workflow: its status, attempts, and the node that stood in for it. */
export interface NodeRun {
  status: NodeStatus;
  attempt: number;
  /** Set when a fallback node's result stands for this (failed) node. */
  via?: string;
}

/** The crew workflow's view of every node. */
export type CrewState = Record<string, NodeRun>;

const TERMINAL: readonly NodeStatus[] = ['completed', 'failed', 'skipped'];

/** True for a status a node never leaves (within one run). */
export function isDone(s: NodeStatus): boolean {
  return TERMINAL.includes(s);
}

/** What the scheduler decides on the current state: nodes to start now and nodes that will never run. */
export interface Decision {
  ready: string[];
  skip: string[];
}

/**
 * Pure scheduling of a crew: which pending nodes' joins are satisfied (ready to start) and which can
 * no longer be (skipped). `all`: every dependency done; a skipped dependency skips the node (a failed
 * one that its policy let the crew continue past does not). `any`: one dependency completed; skipped
 * when all are done and none completed. `quorum(k)`: k completed; skipped when k can no longer be
 * reached. Fallback-only nodes are started by their failing node, never here.
 */
export function decide(plan: CrewPlan, state: Readonly<CrewState>): Decision {
  const ready: string[] = [];
  const skip: string[] = [];
  for (const node of plan.nodes) {
    if (state[node.id]?.status !== 'pending' || node.fallbackOnly) continue;
    const deps = node.dependsOn.map((d) => state[d]?.status ?? 'pending');
    const completed = deps.filter((s) => s === 'completed').length;
    const open = deps.filter((s) => !isDone(s)).length;
    const skipped = deps.filter((s) => s === 'skipped').length;
    if (node.join === 'all') {
      if (open > 0) continue;
      (skipped > 0 ? skip : ready).push(node.id);
    } else if (node.join === 'any') {
      if (completed > 0) ready.push(node.id);
      else if (open === 0) skip.push(node.id);
    } else {
      if (completed >= node.join.quorum) ready.push(node.id);
      else if (completed + open < node.join.quorum) skip.push(node.id);
    }
  }
  return { ready, skip };
}

/** What to do with a node that failed (attempt `attempt`), by its policy. */
export type FailureAction = { kind: 'retry' } | { kind: 'fallback'; node: string } | { kind: 'continue' } | { kind: 'fail' };

/** The action a node's failure policy calls for. */
export function onFailure(node: PlanNode, attempt: number, state: Readonly<CrewState>): FailureAction {
  const p = node.onFailure;
  if (p === 'continue') return { kind: 'continue' };
  if (typeof p === 'object' && 'retry' in p) return attempt <= p.retry ? { kind: 'retry' } : { kind: 'fail' };
  if (typeof p === 'object' && 'fallback' in p) return state[p.fallback]?.status === 'pending' ? { kind: 'fallback', node: p.fallback } : { kind: 'fail' };
  return { kind: 'fail' };
}

/** True when nothing is left to run: every node is done, or a fallback-only node that was never needed. */
export function finished(plan: CrewPlan, state: Readonly<CrewState>): boolean {
  return plan.nodes.every((n) => isDone(state[n.id]?.status ?? 'pending') || (n.fallbackOnly && state[n.id]?.status === 'pending'));
}

/** Agent-running nodes (agent and foreach) that have not started yet (the one starting included), for sharing out the budget. */
export function unstartedWork(plan: CrewPlan, state: Readonly<CrewState>, starting: string): number {
  return plan.nodes.filter((n) => (n.kind === 'agent' || n.kind === 'foreach') && (n.id === starting || (!n.fallbackOnly && state[n.id]?.status === 'pending'))).length;
}

/**
 * The budget a starting node may draw from the crew's: an equal share of what is neither spent nor
 * lent to running nodes, among the agent nodes still to start (null stays unlimited). The shares
 * never add up to more than the crew's budget, so the crew's cap is as hard as each agent's.
 */
export function shareOf(budget: Budget, spent: Spend, lent: Spend, unstarted: number): Budget {
  const ways = Math.max(1, unstarted);
  const tokensLeft = budget.maxTotalTokens === null ? null : Math.max(0, budget.maxTotalTokens - spent.promptTokens - spent.completionTokens - lent.promptTokens - lent.completionTokens);
  const usdLeft = budget.maxCostUsd === null ? null : Math.max(0, budget.maxCostUsd - spent.costUsd - lent.costUsd);
  return {
    maxTotalTokens: tokensLeft === null ? null : Math.floor(tokensLeft / ways),
    maxCostUsd: usdLeft === null ? null : Math.floor((usdLeft / ways) * 1e9) / 1e9,
  };
}
