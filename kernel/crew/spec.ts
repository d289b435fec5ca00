import { z } from 'zod';
import { modelSpecSchema } from '../llm/model-spec';
import { agentConstraintsSchema } from '../agent/spawn';
import { conditionSchema } from './condition';

/** The most items one foreach (or batch) may run. */
export const MAX_FOREACH_ITEMS = 10_000;

/** A node id: lowercase letters, digits, "_" and "-", starting with a letter. */
export const nodeIdSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'node ids are 1–40 lowercase letters, digits, "_" or "-", starting with a letter');

/**
 * What an agent node runs: the same definition as `POST /agents` (role, goal, model, tools,
 * constraints). `input` may quote predecessors' results: `{{nodes.<id>.result}}`, and in a foreach,
 * `{{item}}` and `{{index}}`.
 */
export const agentTemplateSchema = z.object({
  role: z.string().trim().min(1).max(500),
  goal: z.string().trim().min(1).max(4_000),
  backstory: z.string().trim().max(8_000).optional(),
  input: z.string().min(1).max(100_000),
  model: modelSpecSchema.optional(),
  tools: z.array(z.string().min(1).max(64)).max(64).default([]),
  priority: z.number().int().min(1).max(10).optional(),
  constraints: agentConstraintsSchema.partial().optional(),
});

/** An agent template. */
export type AgentTemplate = z.infer<typeof agentTemplateSchema>;

/** What a node does when it fails: fail the crew, carry on without it, try again, or run another node in its place. */
export const failurePolicySchema = z.union([
  z.literal('fail'),
  z.literal('continue'),
  z.object({ retry: z.number().int().min(1).max(10) }).strict(),
  z.object({ fallback: nodeIdSchema }).strict(),
]);

/** A failure policy. */
export type FailurePolicy = z.infer<typeof failurePolicySchema>;

/** When a node with several predecessors may start: all of them done, any one, or k of them. */
export const joinSchema = z.union([z.literal('all'), z.literal('any'), z.object({ quorum: z.number().int().min(1).max(100) }).strict()]);

/** A join rule. */
export type Join = z.infer<typeof joinSchema>;

const common = {
  id: nodeIdSchema,
  dependsOn: z.array(nodeIdSchema).max(50).default([]),
  /** Evaluated once the node's predecessors are done, on their statuses and results; false skips the node (and what only it leads to). */
  when: conditionSchema.optional(),
  join: joinSchema.default('all'),
  onFailure: failurePolicySchema.default('fail'),
  /** A fallback node: runs only when the node naming it in `onFailure` fails. */
  fallbackOnly: z.boolean().default(false),
};

/** Every node kind: an agent, a human gate, a durable wait, a fan-out over a predecessor's list. */
export const crewNodeSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('agent'), agent: agentTemplateSchema }).strict(),
  z.object({ ...common, kind: z.literal('gate'), gate: z.object({ prompt: z.string().trim().min(1).max(4_000) }).strict() }).strict(),
  z
    .object({
      ...common,
      kind: z.literal('wait'),
      wait: z
        .object({ until: z.iso.datetime({ offset: true }).optional(), forMs: z.number().int().min(1).max(366 * 24 * 3_600_000).optional() })
        .strict()
        .refine((w) => (w.until === undefined) !== (w.forMs === undefined), { message: 'a wait names either until or forMs' }),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('foreach'),
      foreach: z
        .object({
          /** The predecessor whose result is the list: a JSON array, or one item per line… */
          over: nodeIdSchema.optional(),
          /** …or the list itself (a batch). */
          items: z.array(z.string().max(100_000)).min(1).max(MAX_FOREACH_ITEMS).optional(),
          /** How many items run at once. */
          concurrency: z.number().int().min(1).max(100).default(10),
          agent: agentTemplateSchema,
        })
        .strict()
        .refine((f) => (f.over === undefined) !== (f.items === undefined), { message: 'a foreach names either over (a predecessor) or items (a list)' }),
    })
    .strict(),
]);

/** A node of a crew. */
export type CrewNode = z.infer<typeof crewNodeSchema>;

/** The body of `POST /crews`: named nodes joined by `dependsOn`, with the crew's tenant, budget and defaults. */
export const crewSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'name may hold letters, digits, spaces, "_", "." and "-"'),
    tenant: z.string().trim().min(1).max(80).default('default'),
    /** A hard cap the crew's agents draw from (null: unlimited). */
    budget: z.object({ maxTotalTokens: z.number().int().min(1).nullable().default(null), maxCostUsd: z.number().positive().nullable().default(null) }).strict().default({ maxTotalTokens: null, maxCostUsd: null }),
    /** The model for agent nodes that name none. */
    model: modelSpecSchema.optional(),
    /** How many agents of the crew run at once (foreach windows count inside their own cap). */
    maxConcurrency: z.number().int().min(1).max(100).default(20),
    /** A crew memory every agent of the crew sees (shared facts). */
    memory: z.string().trim().min(1).max(80).regex(/^[a-z0-9][a-z0-9_-]*$/, 'memory names are lowercase letters, digits, "_" and "-"').optional(),
    nodes: z.array(crewNodeSchema).min(1).max(200),
  })
  .strict();

/** A validated crew spec (shape only; the graph is checked by {@link planCrew}). */
export type CrewSpec = z.infer<typeof crewSpecSchema>;
/** A crew spec as written, before defaults. */
export type CrewSpecInput = z.input<typeof crewSpecSchema>;
