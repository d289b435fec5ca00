import { z } from 'zod';

/**
 * The payloads of the agent workflow's signals and updates. The Temporal UI and CLI can send any
 * signal with any payload, so the workflow checks each one against these schemas and drops what does
 * not fit (with a log line) instead of letting it into the agent's state.
 */

const spendSchema = z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0), costUsd: z.number().min(0) });
const reasonSchema = z.string().max(1_000).optional();

/** `pause` and `kill`: an optional reason. */
export const lifecyclePayloadSchema = z.object({ reason: reasonSchema }).strict();

/** `message`: a reference to a page the API stored; its id must be one of this agent's pages. */
export const messagePayloadSchema = z
  .object({
    id: z.string().min(1).max(500),
    kind: z.literal('message'),
    role: z.literal('user'),
    tokens: z.number().int().min(0).max(10_000_000),
    step: z.number().int().min(0),
  })
  .strict();

/** `kernel.migrate`: a named node or null (wherever its needs are met), and why. */
export const migratePayloadSchema = z
  .object({
    node: z.string().min(1).max(200).nullable(),
    reason: z.enum(['spawn', 'migrate', 'drain', 'node_dead', 'gpu_lease_lost']),
    avoid: z.array(z.string().min(1).max(200)).max(1_000).optional(),
  })
  .strict();

/** `kernel.childFinished`: what a child agent spent. */
export const childFinishedPayloadSchema = z.object({ childId: z.string().min(1).max(300), spent: spendSchema }).strict();

/** `kernel.rewound`: the timeline after a rewind and what the abandoned ones cost. */
export const rewoundPayloadSchema = z.object({ branch: z.number().int().min(1), toStep: z.number().int().min(0), sunk: spendSchema }).strict();

/** The names of the signals only the kernel sends (a person can tell them apart in the Temporal UI). */
export const KERNEL_SIGNALS = { migrate: 'kernel.migrate', childFinished: 'kernel.childFinished', rewound: 'kernel.rewound' } as const;

/** True when `pageId` names one of `agentId`'s own pages (page ids are `<agent>.s<step>.<purpose>`). */
export function isOwnPage(agentId: string, pageId: string): boolean {
  return pageId.startsWith(`${agentId}.s`);
}

/** Parses a signal payload; returns the value, or a short reason it was dropped. */
export function checkPayload<T>(schema: z.ZodType<T>, payload: unknown): { ok: true; value: T } | { ok: false; reason: string } {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, reason: `${first?.path.join('.') || '(payload)'}: ${first?.message ?? 'invalid'}` };
}

/** `approveToolCall`: a decision on the pending call, named by its exact id. */
export const approvalPayloadSchema = z
  .object({ callId: z.string().min(1).max(300), approved: z.boolean(), approver: z.string().min(1).max(200), reason: z.string().max(1_000).optional() })
  .strict();

const limit = z.number().min(0).nullable().optional();

/** `raiseBudget`: new limits (each may only go up). */
export const budgetPatchSchema = z.object({ maxTotalTokens: limit, maxCostUsd: limit }).strict();

/** `reserveBudget`: a child asks to borrow part of this agent's remaining budget. */
export const reservePayloadSchema = z
  .object({ childId: z.string().min(1).max(300), request: z.object({ maxTotalTokens: z.number().min(0).nullable(), maxCostUsd: z.number().min(0).nullable() }).strict() })
  .strict();
