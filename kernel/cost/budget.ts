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

/** The smallest completion worth calling for: below this, the agent suspends instead. */
export const MIN_COMPLETION_TOKENS = 16;

/** The next call as the kernel can see it before making it. */
export interface CallRequest {
  /** The prompt as the kernel's tokenizer counts it. */
  promptTokens: number;
  /** The step's completion cap (`maxTokensPerStep`). */
  maxCompletionTokens: number;
  price: Price;
  /** How many tokens the provider has billed per token the kernel counted, for this model (≥ 1; see {@link promptMargin}). */
  promptMargin: number;
}

/** The call to make — its completion capped to what the budget leaves — or which limit leaves too little. */
export type CallPlan =
  | { ok: true; maxCompletionTokens: number; reservedPromptTokens: number; capped: boolean }
  | { ok: false; limit: 'tokens' | 'cost'; wouldSpend: number; allowed: number };

/**
 * Plans the next call against a hard budget *before* it is made: the prompt is reserved at the
 * kernel's count times the model's learned margin (a provider whose tokenizer counts more than ours
 * is expected to), and the completion allowance is capped to what is left — a call with 300 tokens
 * left is made with a 300-token-or-less cap rather than refused. Only when less than
 * {@link MIN_COMPLETION_TOKENS} (or the step's cap, if smaller) would remain is the call refused.
 * The provider enforces the completion cap, so the most a call can overshoot is its prompt
 * counting error.
 */
export function planCall(budget: Budget, spent: Spend, next: CallRequest): CallPlan {
  const reservedPromptTokens = Math.ceil(next.promptTokens * Math.max(1, next.promptMargin));
  const floor = Math.min(MIN_COMPLETION_TOKENS, next.maxCompletionTokens);
  let cap = next.maxCompletionTokens;
  if (budget.maxTotalTokens !== null) {
    const left = budget.maxTotalTokens - spent.promptTokens - spent.completionTokens - reservedPromptTokens;
    if (left < floor) return { ok: false, limit: 'tokens', wouldSpend: spent.promptTokens + spent.completionTokens + reservedPromptTokens + floor, allowed: budget.maxTotalTokens };
    cap = Math.min(cap, left);
  }
  if (budget.maxCostUsd !== null) {
    const promptUsd = costUsd(next.price, reservedPromptTokens, 0);
    const leftUsd = budget.maxCostUsd - spent.costUsd - promptUsd;
    const affordable = next.price.outputPerMTok > 0 ? Math.floor((leftUsd * 1e6) / next.price.outputPerMTok + 1e-6) : cap;
    if (affordable < floor || leftUsd < -1e-12) return { ok: false, limit: 'cost', wouldSpend: spent.costUsd + promptUsd + costUsd(next.price, 0, floor), allowed: budget.maxCostUsd };
    cap = Math.min(cap, affordable);
  }
  return { ok: true, maxCompletionTokens: cap, reservedPromptTokens, capped: cap < next.maxCompletionTokens };
}

/** How far over the budget a billed spend went (zero when within it), in tokens and USD. */
export function overshoot(budget: Budget, spent: Spend): { tokens: number; costUsd: number } {
  return {
    tokens: budget.maxTotalTokens === null ? 0 : Math.max(0, spent.promptTokens + spent.completionTokens - budget.maxTotalTokens),
    costUsd: budget.maxCostUsd === null ? 0 : Math.max(0, Math.round((spent.costUsd - budget.maxCostUsd) * 1e9) / 1e9),
  };
}

/**
 * The prompt margin to reserve with, from the ratios (provider-billed ÷ kernel-counted prompt tokens)
 * of a model's recent calls: the largest recent ratio, never below 1 — a budget is hard only as far
 * as this reservation covers what the provider will bill.
 */
export function promptMargin(recentRatios: readonly number[]): number {
  const finite = recentRatios.filter((r) => Number.isFinite(r) && r > 0);
  return finite.length === 0 ? 1 : Math.max(1, ...finite);
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
