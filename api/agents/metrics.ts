import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { agentRow } from '../../control/views';
import { contextPages } from '../../db/schema';
import type { ApiDeps } from '../deps';

/** One step's context metrics, as its reply page recorded them (steps written by older kernels lack the newer fields). */
export const stepMetricsSchema = z.looseObject({
  step: z.number().int(),
  window: z.number().int().optional().describe("the model's context window in tokens"),
  pageBudget: z.number().int().optional().describe('tokens left for pages after the prefix and the output reserve'),
  promptTokens: z.number().int().optional(),
  tokensByKind: z.record(z.string(), z.number()).optional().describe('prompt tokens by page kind, plus system and tools'),
  pagesIn: z.number().int().optional(),
  pagesOut: z.number().int().optional(),
  pageFaults: z.number().int().optional().describe('pages the previous step faulted back in with recall'),
  retrievalMs: z.number().optional(),
  pressure: z.number().optional(),
  prefixStability: z.number().optional(),
  summarised: z.number().int().optional(),
  pages: z.array(z.object({ id: z.string(), why: z.enum(['pinned', 'recent', 'ranked']) })).optional().describe('the pages the prompt held, in prompt order, and why each was taken'),
});

/** One step's context metrics. */
export type StepMetrics = z.infer<typeof stepMetricsSchema>;

/** The memory metrics each step recorded on its reply page, in step order. */
export async function agentMetrics(deps: ApiDeps, id: string): Promise<StepMetrics[]> {
  await agentRow(deps, id);
  // Steps written before `step_metrics` existed kept their metrics in the page's meta.
  const metrics = sql<Record<string, unknown> | null>`coalesce(${contextPages.stepMetrics}->'metrics', ${contextPages.meta}->'metrics')`;
  const replies = await deps.db.select({ step: contextPages.step, metrics }).from(contextPages).where(and(eq(contextPages.agentId, id), eq(contextPages.purpose, 'reply'))).orderBy(asc(contextPages.step));
  return replies.map((r) => {
    const parsed = stepMetricsSchema.safeParse({ ...(r.metrics ?? {}), step: r.step });
    return parsed.success ? parsed.data : { step: r.step };
  });
}
