import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Budget, Spend } from '../kernel/cost/budget';
import type { CrewPlan } from '../kernel/crew/plan';
import type { CrewState, NodeStatus } from '../kernel/crew/schedule';

/** What a crew workflow starts from: its plan (structure only) and budget; templates stay in Postgres. */
export interface CrewRunInput {
  crewId: string;
  /** The run number: a retried node starts a new run of the same crew. */
  run: number;
  tenant: string;
  plan: CrewPlan;
  budget: Budget;
  /** Nodes settled by an earlier run and reused by this one (a retry or a fork): not run again. */
  reused?: Record<string, NodeStatus>;
  /** What the reused nodes spent (it counts against this run's budget). */
  reusedSpend?: Spend;
  /** The agent that started this crew with `spawn_crew`: it lent the budget and is told what the crew spent. */
  parentAgentId?: string;
}

/** How a crew run ended. */
export interface CrewResult {
  crewId: string;
  run: number;
  status: 'completed' | 'failed' | 'cancelled';
  /** The node whose failure failed the crew. */
  failedNode: string | null;
  usage: Spend;
  nodes: Record<string, NodeStatus>;
}

/** The crew's live state: every node's status and attempt, the spend, and what is lent to running nodes. */
export interface CrewSnapshot {
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  nodes: CrewState;
  usage: Spend;
  lent: Spend;
  /** Gates waiting for a person, by node id. */
  gates: string[];
}

/** A person's decision at a gate. */
export interface GateDecision {
  node: string;
  approved: boolean;
  approver: string;
  reason?: string;
}

/** The live state of a crew run. */
export const crewStateQuery = defineQuery<CrewSnapshot>('crewState');
/** Opens or closes a gate node that is waiting, named by its node id (the update is bound to this crew run). */
export const decideGateUpdate = defineUpdate<{ node: string; approved: boolean }, [GateDecision]>('decideGate');

/** What a foreach node's fan-out starts from (and continues as new with). */
export interface ForeachRunInput {
  crewId: string;
  run: number;
  node: string;
  tenant: string;
  count: number;
  concurrency: number;
  budget: Budget;
  /** Items already started by earlier runs of this workflow (continue-as-new). */
  next: number;
  /** Items settled so far, and what they spent. */
  completed: number;
  failed: number;
  usage: Spend;
  retries: number;
  /** Failed items still to be tried again, with the attempt each is at. */
  retryQueue?: Array<{ index: number; attempt: number }>;
}

/** How a fan-out ended. */
export interface ForeachResult {
  completed: number;
  failed: number;
  usage: Spend;
}
