import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MigrationRequest } from '../kernel/agent/placement';
import type { AgentSnapshot, PageRef } from '../kernel/agent/state';
import type { Budget, Spend } from '../kernel/cost/budget';
import type { ApprovalDecision } from '../kernel/tools/policy';

/** The live state of an agent: status, hold, step, page table, budget and usage. */
export const stateQuery = defineQuery<AgentSnapshot>('state');
/** Steps taken. */
export const stepQuery = defineQuery<number>('step');
/** Tokens and USD spent by the agent itself. */
export const usageQuery = defineQuery<Spend>('usage');

/** Suspends the agent at its next step boundary. */
export const pauseSignal = defineSignal<[{ reason?: string }]>('pause');
/** Resumes a paused agent. */
export const resumeSignal = defineSignal('resume');
/** Terminates the agent: an in-flight step is cancelled, a wait is abandoned. */
export const killSignal = defineSignal<[{ reason?: string }]>('kill');
/** Delivers a message page (its body already stored in Postgres) into the next step. */
export const messageSignal = defineSignal<[PageRef]>('message');
/** A child agent reports what it spent, settling its reservation on this agent's budget. */
export const childFinishedSignal = defineSignal<[{ childId: string; spent: Spend }]>('childFinished');

/** Moves the agent at its next step boundary: to a named node, or (null) wherever its needs are met. */
export const migrateSignal = defineSignal<[MigrationRequest]>('migrate');
/** Sent after a rewind (a workflow reset): what every abandoned timeline spent (a total, not an increment) still counts against the budget. */
export const rewoundSignal = defineSignal<[{ branch: number; toStep: number; sunk: Spend }]>('rewound');

/** Changes the agent's priority (1 most urgent … 10); returns the new priority. */
export const setPriorityUpdate = defineUpdate<number, [number]>('setPriority');
/** Approves or rejects the pending tool call, named by its exact call id. */
export const approveToolCallUpdate = defineUpdate<{ callId: string; approved: boolean }, [ApprovalDecision]>('approveToolCall');
/** Raises the budget (a budget-suspended agent resumes); returns the new budget. */
export const raiseBudgetUpdate = defineUpdate<Budget, [Partial<Budget>]>('raiseBudget');
/** Lends part of this agent's remaining budget to a child; returns what was granted. */
export const reserveBudgetUpdate = defineUpdate<Budget, [{ childId: string; request: Budget }]>('reserveBudget');
