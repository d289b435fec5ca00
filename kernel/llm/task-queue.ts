import { parseModelSpec } from './model-spec';

/** Providers that get their own task queue (and slots) on every node. */
export const PROVIDERS = ['scripted', 'openai', 'anthropic'] as const;

/** The task queue a provider's LLM calls run on: `<base>.llm.<provider>`. */
export function llmTaskQueue(base: string, modelSpec: string): string {
  const parsed = parseModelSpec(modelSpec);
  return `${base}.llm.${typeof parsed === 'string' ? 'scripted' : parsed.provider}`;
}
