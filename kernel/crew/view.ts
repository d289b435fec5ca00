import { z } from 'zod';

const usage = z.object({ promptTokens: z.number().int(), completionTokens: z.number().int(), costUsd: z.number() });

/** A node of a crew run as the API shows it. */
export const crewNodeViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['agent', 'gate', 'wait', 'foreach']),
  dependsOn: z.array(z.string()),
  status: z.enum(['pending', 'running', 'waiting', 'completed', 'failed', 'skipped']),
  attempt: z.number().int(),
  /** The agent of the latest attempt (agent nodes). */
  agentId: z.string().nullable(),
  /** The fallback whose result stands for this node, or `#<run>` / `<crew>#<run>` when reused from an earlier run. */
  via: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  usage,
  /** The page holding the node's result (the reference dependents receive). */
  resultPageId: z.string().nullable(),
  /** The start of the result, for reading (the whole is on the result page). */
  result: z.string().nullable(),
  error: z.string().nullable(),
  /** A foreach's items. */
  items: z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() }).nullable(),
});

/** A crew (or a batch) as the API shows it. */
export const crewViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['crew', 'batch']),
  tenant: z.string(),
  status: z.enum(['ready', 'running', 'completed', 'failed', 'cancelled']),
  /** The current run: a retried node starts run n + 1. */
  run: z.number().int(),
  budget: z.object({ maxTotalTokens: z.number().nullable(), maxCostUsd: z.number().nullable() }),
  usage: usage.extend({ totalTokens: z.number().int() }),
  error: z.string().nullable(),
  forkOf: z.object({ crewId: z.string(), run: z.number().int(), node: z.string() }).nullable(),
  nodes: z.array(crewNodeViewSchema),
  workflow: z.object({ workflowId: z.string(), url: z.string().nullable() }),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** A crew as the API shows it. */
export type CrewView = z.infer<typeof crewViewSchema>;
