import { z } from 'zod';

/** A parsed `provider:model` string. */
export type ModelSpec =
  | { provider: 'scripted'; turns: number }
  | { provider: 'openai'; model: string }
  | { provider: 'anthropic'; model: string };

const DEFAULT_SCRIPTED_TURNS = 3;

/** Parses `scripted`, `scripted:<turns>`, `openai:<model>` or `anthropic:<model>`; returns an error sentence otherwise. */
export function parseModelSpec(spec: string): ModelSpec | string {
  const [provider, ...rest] = spec.split(':');
  const model = rest.join(':');
  switch (provider) {
    case 'scripted': {
      if (model === '') return { provider, turns: DEFAULT_SCRIPTED_TURNS };
      const turns = Number(model);
      return Number.isInteger(turns) && turns >= 1 && turns <= 100_000
        ? { provider, turns }
        : `scripted turns must be a whole number from 1 to 100000, got "${model}"`;
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
