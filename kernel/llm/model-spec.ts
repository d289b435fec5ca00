import { z } from 'zod';

/** A parsed `provider:model` string. */
export type ModelSpec =
  | { provider: 'scripted'; turns: number; latencyMs: number }
  | { provider: 'openai'; model: string }
  | { provider: 'anthropic'; model: string };

const DEFAULT_SCRIPTED_TURNS = 3;

/** Parses `scripted`, `scripted:<turns>[:<latencyMs>]`, `openai:<model>` or `anthropic:<model>`; returns an error sentence otherwise. */
export function parseModelSpec(spec: string): ModelSpec | string {
  const [provider, ...rest] = spec.split(':');
  const model = rest.join(':');
  switch (provider) {
    case 'scripted': {
      if (model === '') return { provider, turns: DEFAULT_SCRIPTED_TURNS, latencyMs: 0 };
      const [turnsText = '', latencyText = '0'] = model.split(':');
      const turns = Number(turnsText);
      const latencyMs = Number(latencyText);
      if (!Number.isInteger(turns) || turns < 1 || turns > 100_000) return `scripted turns must be a whole number from 1 to 100000, got "${turnsText}"`;
      if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 600_000) return `scripted latency must be whole milliseconds from 0 to 600000, got "${latencyText}"`;
      return { provider, turns, latencyMs };
    }
    case 'openai':
    case 'anthropic':
      return model ? { provider, model } : `"${spec}" names no model; write ${provider}:<model>`;
    default:
      return `unknown model provider "${provider}"; use scripted, openai:<model> or anthropic:<model>`;
  }
}

/** A model spec string, validated by {@link parseModelSpec}. */
export const modelSpecSchema = z
  .string()
  .trim()
  .min(1)
  .superRefine((spec, ctx) => {
    const parsed = parseModelSpec(spec);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });

/** The model's name as billed and reported (`openai:gpt-4o` → `gpt-4o`; every scripted spec → `scripted`). */
export function modelName(spec: string): string {
  const [provider, ...rest] = spec.split(':');
  return provider === 'scripted' || rest.length === 0 ? (provider ?? spec) : rest.join(':');
}
