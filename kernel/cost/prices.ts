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
