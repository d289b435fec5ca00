import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MigrationRequest } from '../kernel/agent/placement';
import { KERNEL_SIGNALS } from '../kernel/agent/signal-payloads';
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
/** Terminates the agent: an in-flight step or tool call is cancelled, a wait is abandoned. */
export const killSignal = defineSignal<[{ reason?: string }]>('kill');
/** Delivers a message page (its body already stored in Postgres) into the next step. */
export const messageSignal = defineSignal<[PageRef]>('message');

/** Kernel-internal: a child agent reports what it spent, settling its reservation on this agent's budget. */
export const childFinishedSignal = defineSignal<[{ childId: string; spent: Spend }]>(KERNEL_SIGNALS.childFinished);
/** Kernel-internal: moves the agent at its next step boundary, to a named node or (null) wherever its needs are met. */
export const migrateSignal = defineSignal<[MigrationRequest]>(KERNEL_SIGNALS.migrate);
/** Kernel-internal, sent after a rewind (a workflow reset): what every abandoned timeline spent (a total, not an increment) still counts against the budget. */
export const rewoundSignal = defineSignal<[{ branch: number; toStep: number; sunk: Spend }]>(KERNEL_SIGNALS.rewound);

/**
 * The names these three signals had before they took the `kernel.` prefix. Agents that were running
 * across the upgrade, and children started by older parents, may still send or have received them,
 * so the workflow keeps answering them (validated like the rest); the kernel itself no longer sends them.
 */
export const legacySignals = {
  childFinished: defineSignal<[unknown]>('childFinished'),
  migrate: defineSignal<[unknown]>('migrate'),
  rewound: defineSignal<[unknown]>('rewound'),
} as const;

/** Changes the agent's priority (1 most urgent … 10); returns the new priority. */
export const setPriorityUpdate = defineUpdate<number, [number]>('setPriority');
/** Approves or rejects the pending tool call, named by its exact call id. */
export const approveToolCallUpdate = defineUpdate<{ callId: string; approved: boolean }, [ApprovalDecision]>('approveToolCall');
/** Raises the budget (a budget-suspended agent resumes); returns the new budget. */
export const raiseBudgetUpdate = defineUpdate<Budget, [Partial<Budget>]>('raiseBudget');
/** Lends part of this agent's remaining budget to a child; returns what was granted. */
export const reserveBudgetUpdate = defineUpdate<Budget, [{ childId: string; request: Budget }]>('reserveBudget');
