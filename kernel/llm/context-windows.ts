import { parseModelSpec } from './model-spec';

/** Context windows (tokens) of known models; unknown models get a conservative 8k. */
const WINDOWS: Record<string, number> = {
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  'gpt-4.1': 1_000_000,
  'gpt-4.1-mini': 1_000_000,
  'claude-sonnet-4-5': 200_000,
  'claude-haiku-4-5': 200_000,
  'claude-opus-4-1': 200_000,
};

/** The scripted model's window: small, so paging is exercised offline. */
export const SCRIPTED_WINDOW = 8_192;

/** The context window of a `provider:model` spec. */
export function contextWindow(spec: string): number {
  const parsed = parseModelSpec(spec);
  if (typeof parsed === 'string') return 8_192;
  if (parsed.provider === 'scripted') return SCRIPTED_WINDOW;
  return WINDOWS[parsed.model] ?? 8_192;
}
