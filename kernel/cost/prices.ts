import { modelName } from '../llm/model-spec';
import type { TokenUsage } from '../llm/types';

/** USD per million tokens: input and output, and where the provider prices them apart, cache reads, cache writes and reasoning. */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Input tokens read from the prompt cache (default: the input price). */
  cacheReadPerMTok?: number;
  /** Input tokens written to the prompt cache (default: the input price). */
  cacheWritePerMTok?: number;
  /** Reasoning tokens (default: the output price, as OpenAI and Anthropic bill them). */
  reasoningPerMTok?: number;
}

/**
 * List prices per model (USD / 1M tokens). The scripted model has a nominal price so budgets are
 * exercised offline. Unknown models cost 0 and are flagged by {@link priceOf}.
 */
export const PRICE_TABLE: Readonly<Record<string, Price>> = {
  scripted: { inputPerMTok: 1, outputPerMTok: 2 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6, cacheReadPerMTok: 0.1 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4, cacheReadPerMTok: 0.275 },
  'claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75, cacheReadPerMTok: 1.5, cacheWritePerMTok: 18.75 },
};

/** The price of a `provider:model` spec; `known` is false when the model is not in the table. */
export function priceOf(spec: string, table: Readonly<Record<string, Price>> = PRICE_TABLE): Price & { known: boolean } {
  const price = table[modelName(spec)];
  return price ? { ...price, known: true } : { inputPerMTok: 0, outputPerMTok: 0, known: false };
}

/** USD for a number of input and output tokens at a price, rounded to 1e-9. */
export function costUsd(price: Price, promptTokens: number, completionTokens: number): number {
  return Math.round(((promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6) * 1e9) / 1e9;
}

/**
 * USD for one call's billed usage, each kind of token at its own price: cached reads and cache
 * writes apart from the rest of the prompt, reasoning apart from the rest of the completion.
 * Without cache or reasoning tokens it equals {@link costUsd}.
 */
export function usageCostUsd(price: Price, usage: TokenUsage): number {
  const cacheRead = Math.min(usage.cacheReadTokens ?? 0, usage.promptTokens);
  const cacheWrite = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cacheRead);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.completionTokens);
  const micro =
    (usage.promptTokens - cacheRead - cacheWrite) * price.inputPerMTok +
    cacheRead * (price.cacheReadPerMTok ?? price.inputPerMTok) +
    cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    (usage.completionTokens - reasoning) * price.outputPerMTok +
    reasoning * (price.reasoningPerMTok ?? price.outputPerMTok);
  return Math.round((micro / 1e6) * 1e9) / 1e9;
}
