import { z } from 'zod';
import { modelSpecSchema } from '../llm/model-spec';
import { renderTask, taskDefinitionSchema } from './task';

/** Limits an agent runs under. */
export const agentConstraintsSchema = z.object({
  /** Hard cap on LLM steps before the agent exits with reason `max_steps`. */
  maxSteps: z.number().int().min(1).max(100_000).default(8),
  /** Completion tokens the model may produce per step. */
  maxTokensPerStep: z.number().int().min(1).max(200_000).default(1024),
  /** Hard cap on prompt + completion tokens over the agent's life (null: unlimited). */
  maxTotalTokens: z.number().int().min(1).nullable().default(null),
  /** Hard cap on spend in USD (null: unlimited). */
  maxCostUsd: z.number().positive().nullable().default(null),
  /** Caps the context window below the model's (forces paging; useful for cost control). */
  contextTokens: z.number().int().min(256).max(2_000_000).optional(),
  /** How long one model call may take before it is retried. */
  stepTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
  /** How long a short-term memory lives unless recalled (each recall starts it again); default a day. */
  shortMemoryTtlMs: z.number().int().min(1_000).max(365 * 86_400_000).optional(),
  /** How facts about people and things are read from new user messages: `rules` (a cheap deterministic extractor, the default), `model` (the agent's own model, billed to the agent; the rules when offline), or `off`. */
  entityMemory: z.enum(['rules', 'model', 'off']).optional(),
});

/** A short-term memory's life when the agent names none. */
export const DEFAULT_SHORT_MEMORY_TTL_MS = 86_400_000;

const DEFAULT_CONSTRAINTS = { maxSteps: 8, maxTokensPerStep: 1024, maxTotalTokens: null, maxCostUsd: null, stepTimeoutMs: 300_000 };

/** The body of `POST /agents`: who the agent is, what it is for, and what it starts with. */
export const spawnAgentSchema = z
  .object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(80)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'name may hold letters, digits, spaces, "_", "." and "-"'),
  role: z.string().trim().min(1).max(500),
  goal: z.string().trim().min(1).max(4_000),
  backstory: z.string().trim().max(8_000).optional(),
  /** The first user message. Stored as a page in Postgres, never in the workflow payload. */
  input: z.string().min(1).max(1_000_000).optional(),
  /** A structured task instead of (or before) `input`. */
  task: taskDefinitionSchema.optional(),
  /** `provider:model`; defaults to the node's configured MODEL. */
  model: modelSpecSchema.optional(),
  tenant: z.string().trim().min(1).max(80).default('default'),
  /** 1 is the most urgent, 10 the least. */
  priority: z.number().int().min(1).max(10).default(5),
  constraints: agentConstraintsSchema.default(DEFAULT_CONSTRAINTS),
  /** Tools the agent may call (names from the node's tool registry). */
  tools: z.array(z.string().min(1).max(64)).max(64).default([]),
  /** A crew whose shared memories this agent sees. */
  crew: z.string().trim().min(1).max(80).regex(/^[a-z0-9][a-z0-9_-]*$/, 'crew names are lowercase letters, digits, "_" and "-"').optional(),
  /** A parent agent whose remaining budget this one draws on. */
  parentId: z.string().min(1).max(200).optional(),
  /** Where the agent may run: pinned to a node, or on a node with this much free GPU memory. */
  placement: z
    .object({
      node: z.string().min(1).max(200).optional(),
      /** GPU memory (MiB) the agent's work needs on each GPU; it waits, not fails, until there is room. */
      gpuMemoryMiB: z.number().int().min(1).max(10_000_000).optional(),
      /** GPUs it needs, all on one node, all or nothing (default 1 when gpuMemoryMiB is set). */
      gpus: z.number().int().min(1).max(16).optional(),
      /** A MIG profile (e.g. `1g.20gb`): one MIG instance of that profile. */
      migProfile: z.string().regex(/^\d+g\.\d+gb$/, 'a MIG profile is like 1g.20gb').optional(),
    })
    .strict()
    .refine((p) => (p.gpus === undefined && p.migProfile === undefined) || p.gpuMemoryMiB !== undefined, { message: 'gpus and migProfile go with gpuMemoryMiB (the memory each device needs)', path: ['gpuMemoryMiB'] })
    .refine((p) => !(p.migProfile !== undefined && (p.gpus ?? 1) > 1), { message: 'a MIG profile names one instance (a process sees one MIG device)', path: ['gpus'] })
    .optional(),
  })
  .refine((s) => s.input !== undefined || s.task !== undefined, { message: 'give an input or a task', path: ['input'] })
  .transform((s) => ({ ...s, input: [s.task ? renderTask(s.task) : undefined, s.input].filter(Boolean).join('\n\n') }));

/** A validated spawn request. */
export type SpawnAgent = z.infer<typeof spawnAgentSchema>;
/** Raw spawn input before defaults. */
export type SpawnAgentInput = z.input<typeof spawnAgentSchema>;

/** A URL- and workflow-id-safe slug of an agent name. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (slug || 'agent').slice(0, 40);
}

/** A new agent id: the name's slug plus 10 random base-36 characters; also the workflow id. */
/** The id of an agent spawned with an Idempotency-Key: the same name, tenant and key give the same id (FNV-1a, base 36). */
export function keyedAgentId(name: string, tenant: string, key: string): string {
  const text = `${tenant}\0${key}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ text.charCodeAt(text.length - 1 - i), 0x01000193) >>> 0;
  }
  return `${slugify(name)}-${(h1.toString(36) + h2.toString(36)).padStart(10, '0').slice(-10)}`;
}

export function newAgentId(name: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 10; i++) suffix += Math.floor(random() * 36).toString(36);
  return `${slugify(name)}-${suffix}`;
}
