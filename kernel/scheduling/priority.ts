/** Inputs of the scheduling policy for one step. */
export interface PriorityInput {
  /** The agent's priority, 1 (most urgent) … 10. */
  basePriority: number;
  /** How many times this step has already waited a full aging interval without being served. */
  agedIntervals: number;
  /** Share of the agent's budget already spent, 0..1. */
  budgetPressure: number;
}

/** Temporal's default number of priority levels (keys 1..5, 1 first). */
export const PRIORITY_LEVELS = 5;

/**
 * The Temporal priority key of a step: the agent's priority mapped onto the server's levels,
 * raised one level per aging interval waited (so nothing starves), and lowered one level when
 * 80% of the budget is gone (budget pressure yields to agents with room).
 */
export function priorityKey(input: PriorityInput, levels: number = PRIORITY_LEVELS): number {
  const base = 1 + Math.floor(((clamp(input.basePriority, 1, 10) - 1) * levels) / 10);
  const pressure = input.budgetPressure >= 0.8 ? 1 : 0;
  return clamp(base - Math.max(0, Math.floor(input.agedIntervals)) + pressure, 1, levels);
}

/** The fairness key: steps of different tenants share a priority level in proportion. */
export function fairnessKey(tenant: string): string {
  return new TextEncoder().encode(tenant).length <= 64 ? tenant : tenant.slice(0, 32);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
