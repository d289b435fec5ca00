import type { Config } from '../../kernel/config';
import { KernelError } from '../../kernel/errors';
import { parseModelSpec } from '../../kernel/llm/model-spec';
import type { LlmProvider } from '../../kernel/llm/types';
import { AnthropicModel } from './anthropic';
import { OpenAiCompatibleModel } from './openai';
import { ScriptedModel } from './scripted';

/** Provider settings a node needs to build models. */
export type ProviderConfig = Pick<Config, 'OPENAI_BASE_URL' | 'OPENAI_API_KEY' | 'ANTHROPIC_BASE_URL' | 'ANTHROPIC_API_KEY'>;

/** Builds the provider for a `provider:model` spec, caching one instance per spec. */
export function createProviderRegistry(config: ProviderConfig): (spec: string) => LlmProvider {
  const cache = new Map<string, LlmProvider>();
  return (spec) => {
    // Keyed by the provider keys too: a key changed by the live config makes a fresh client.
    const key = `${spec}\0${config.OPENAI_API_KEY ?? ''}\0${config.ANTHROPIC_API_KEY ?? ''}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const parsed = parseModelSpec(spec);
    if (typeof parsed === 'string') throw new KernelError('invalid_input', parsed);
    const provider =
      parsed.provider === 'scripted'
        ? new ScriptedModel(parsed.turns, parsed.latencyMs)
        : parsed.provider === 'openai'
          ? new OpenAiCompatibleModel(parsed.model, config.OPENAI_BASE_URL, config.OPENAI_API_KEY)
          : new AnthropicModel(parsed.model, config.ANTHROPIC_BASE_URL, config.ANTHROPIC_API_KEY);
    cache.set(key, provider);
    return provider;
  };
}
