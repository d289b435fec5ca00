/** USD per million tokens, input and output. */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * List prices per model (USD / 1M tokens). The scripted model has a nominal price so budgets are
 * exercised offline. Unknown models cost 0 and are flagged by {@link priceOf}.
 */
export const PRICE_TABLE: Readonly<Record<string, Price>> = {
  scripted: { inputPerMTok: 1, outputPerMTok: 2 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
};

/** The price of a `provider:model` spec; `known` is false when the model is not in the table. */
export function priceOf(spec: string, table: Readonly<Record<string, Price>> = PRICE_TABLE): Price & { known: boolean } {
  const [provider, ...rest] = spec.split(':');
  const model = provider === 'scripted' ? 'scripted' : rest.join(':');
  const price = table[model];
  return price ? { ...price, known: true } : { inputPerMTok: 0, outputPerMTok: 0, known: false };
}

/** USD for a number of input and output tokens at a price, rounded to 1e-9. */
export function costUsd(price: Price, promptTokens: number, completionTokens: number): number {
  return Math.round(((promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6) * 1e9) / 1e9;
}
