import type { Usage } from '../agent/state';
import { costUsd, type Price } from './prices';

/** Hard limits on what an agent may spend; null means unlimited. */
export interface Budget {
  maxTotalTokens: number | null;
  maxCostUsd: number | null;
}

/** What an agent has spent. */
export interface Spend extends Usage {
  costUsd: number;
}

/** The worst case of the next call: its prompt plus the full completion allowance. */
export interface NextCall {
  promptTokens: number;
  maxCompletionTokens: number;
  price: Price;
}

/** Whether the next call fits the budget; when not, which limit it would break. */
export type BudgetVerdict = { ok: true } | { ok: false; limit: 'tokens' | 'cost'; wouldSpend: number; allowed: number };

/**
 * Checks the next call against the budget *before* it is made, assuming the model uses its whole
 * completion allowance, so an agent is stopped before the call that would exceed its budget.
 */
export function checkBudget(budget: Budget, spent: Spend, next: NextCall): BudgetVerdict {
  if (budget.maxTotalTokens !== null) {
    const wouldSpend = spent.promptTokens + spent.completionTokens + next.promptTokens + next.maxCompletionTokens;
    if (wouldSpend > budget.maxTotalTokens) return { ok: false, limit: 'tokens', wouldSpend, allowed: budget.maxTotalTokens };
  }
  if (budget.maxCostUsd !== null) {
    const wouldSpend = spent.costUsd + costUsd(next.price, next.promptTokens, next.maxCompletionTokens);
    if (wouldSpend > budget.maxCostUsd + 1e-12) return { ok: false, limit: 'cost', wouldSpend, allowed: budget.maxCostUsd };
  }
  return { ok: true };
}

/** Share of the tightest limit already used, 0..1 (0 when unlimited). */
export function budgetPressure(budget: Budget, spent: Spend): number {
  const shares: number[] = [];
  if (budget.maxTotalTokens) shares.push((spent.promptTokens + spent.completionTokens) / budget.maxTotalTokens);
  if (budget.maxCostUsd) shares.push(spent.costUsd / budget.maxCostUsd);
  return Math.min(1, Math.max(0, ...shares, 0));
}

/** The part of a budget left after spending, for a child to draw on (null stays unlimited). */
export function remaining(budget: Budget, spent: Spend): Budget {
  return {
    maxTotalTokens: budget.maxTotalTokens === null ? null : Math.max(0, budget.maxTotalTokens - spent.promptTokens - spent.completionTokens),
    maxCostUsd: budget.maxCostUsd === null ? null : Math.max(0, budget.maxCostUsd - spent.costUsd),
  };
}
