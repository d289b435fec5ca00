import { calcPrice } from '@pydantic/genai-prices';
import { modelName } from '../llm/model-spec';
import type { TokenUsage } from '../llm/types';
import { usageCostUsd, type Price } from './prices';

// Kept apart from ./prices (which workflows reach through the budget): the maintained table is data
// for activities and the API, never bundled into workflow code.

/** The scripted model runs offline and costs nothing. */
const FREE: Price = { inputPerMTok: 0, outputPerMTok: 0 };

/** Prices set by the operator (`MODEL_PRICES`), by model name: they win over the maintained table. */
let overrides: Readonly<Record<string, Price>> = {};

/** Sets the operator's price overrides (`MODEL_PRICES`), by model name (e.g. a self-hosted model, a negotiated rate). */
export function configurePrices(table: Readonly<Record<string, Price>>): void {
  overrides = { ...table };
  probed.clear();
}

/** The maintained table's provider id for a spec's provider (others are matched by model name alone). */
function providerIdOf(spec: string): string | undefined {
  const provider = spec.split(':')[0];
  return provider === 'openai' || provider === 'anthropic' ? provider : undefined;
}

const probed = new Map<string, (Price & { known: boolean }) | null>();
const PROBE = 10_000;

/** Per-MTok rates read off the maintained table (`@pydantic/genai-prices`) with a small probe (below any long-context tier). */
function tablePrice(spec: string): (Price & { known: boolean }) | null {
  const key = `${providerIdOf(spec) ?? ''}|${modelName(spec)}`;
  if (!probed.has(key)) {
    const at = (usage: Record<string, number>) => {
      const r = calcPrice(usage, modelName(spec), providerIdOf(spec) ? { providerId: providerIdOf(spec)! } : {});
      return r ? (r.total_price * 1e6) / PROBE : null;
    };
    const input = at({ input_tokens: PROBE });
    const output = at({ output_tokens: PROBE });
    probed.set(key, input === null || output === null ? null : { inputPerMTok: input, outputPerMTok: output, cacheReadPerMTok: at({ input_tokens: PROBE, cache_read_tokens: PROBE }) ?? input, cacheWritePerMTok: at({ input_tokens: PROBE, cache_write_tokens: PROBE }) ?? input, known: true });
  }
  return probed.get(key) ?? null;
}

/**
 * The price of a `provider:model` spec: the operator's override, else $0 for the offline scripted
 * model, else the maintained table; `known` is false (and the price 0) when none has it.
 */
export function priceOf(spec: string): Price & { known: boolean } {
  const name = modelName(spec);
  const own = overrides[name];
  if (own) return { ...own, known: true };
  if (spec.split(':')[0] === 'scripted') return { ...FREE, known: true };
  return tablePrice(spec) ?? { inputPerMTok: 0, outputPerMTok: 0, known: false };
}

/**
 * USD for one model call's usage: from the maintained table with the call's real token counts (so
 * long-context tiers apply), unless the operator set a price or the model is scripted (then
 * {@link usageCostUsd} at that price). Unknown models cost 0.
 */
export function callCostUsd(spec: string, usage: TokenUsage): number {
  if (overrides[modelName(spec)] || spec.split(':')[0] === 'scripted') return usageCostUsd(priceOf(spec), usage);
  const r = calcPrice(
    { input_tokens: usage.promptTokens, output_tokens: usage.completionTokens, ...(usage.cacheReadTokens ? { cache_read_tokens: Math.min(usage.cacheReadTokens, usage.promptTokens) } : {}), ...(usage.cacheWriteTokens ? { cache_write_tokens: Math.min(usage.cacheWriteTokens, usage.promptTokens - Math.min(usage.cacheReadTokens ?? 0, usage.promptTokens)) } : {}) },
    modelName(spec),
    providerIdOf(spec) ? { providerId: providerIdOf(spec)! } : {},
  );
  return r ? Math.round(r.total_price * 1e9) / 1e9 : 0;
}
