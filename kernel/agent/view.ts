import { z } from 'zod';
import { agentStatusSchema } from './state';

/** An agent as the API shows it. */
export const agentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  goal: z.string(),
  model: z.string(),
  tenant: z.string(),
  priority: z.number().int(),
  parentId: z.string().nullable(),
  status: agentStatusSchema,
  /** Why a live agent is held: paused, budget_exhausted (suspended), approval, placement or timer (waiting). */
  hold: z.enum(['paused', 'budget_exhausted', 'approval', 'placement', 'timer']).nullable(),
  /** The hold in words, e.g. why no node can take the agent yet. */
  holdDetail: z.string().nullable(),
  /** The node the agent is pinned to (null: any node runs it). */
  node: z.string().nullable(),
  /** The GPU reservation the agent holds. */
  gpu: z.object({ nodeId: z.string(), gpuIndex: z.number().int(), memoryMiB: z.number() }).nullable(),
  /** Rewinds so far (the agent's timeline number). */
  branch: z.number().int(),
  pendingApproval: z.object({ callId: z.string(), tool: z.string(), step: z.number().int() }).nullable(),
  budget: z.object({ maxTotalTokens: z.number().nullable(), maxCostUsd: z.number().nullable() }).nullable(),
  step: z.number().int(),
  maxSteps: z.number().int(),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int(), totalTokens: z.number().int(), costUsd: z.number() }),
  exitReason: z.string().nullable(),
  error: z.string().nullable(),
  result: z.string().nullable(),
  /** Whether status/step/usage came from the running workflow (true) or the stored row (false). */
  live: z.boolean(),
  workflow: z.object({ workflowId: z.string(), runId: z.string().nullable(), url: z.string().nullable() }),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** An agent as the API shows it. */
export type AgentView = z.infer<typeof agentViewSchema>;

/** One page of an agent's conversation. */
export const pageViewSchema = z.object({
  id: z.string(),
  step: z.number().int(),
  kind: z.string(),
  role: z.string(),
  tokens: z.number().int(),
  body: z.string(),
  createdAt: z.string(),
});
